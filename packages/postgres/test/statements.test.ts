import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_SCHEMA, NOT_LEADER_SQLSTATE, quoteSchema, schemaSql, statements } from '@baton/postgres';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATION_FILE } from '../../../scripts/postgres-migration.js';
import { describeBackend, type ServerHandle, startServer } from '../../../test/backends/index.js';

// The election's store layer, driven with plain pg clients against a real server, without the
// TypeScript election around it: what each statement promises, and the fencing guarantee.

const q = statements(DEFAULT_SCHEMA);
const unique = (label: string): string => `${label}/${randomUUID().slice(0, 8)}`;

type Status = 'leader' | 'waiting' | 'lost';
interface Turn {
  status: Status;
  predecessor: bigint | undefined;
  recheckMs: number | undefined;
}

/** Whether `promise` is still pending after `ms`. */
async function pendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const marker = Symbol('pending');
  const settled = await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    sleep(ms, marker),
  ]);
  return settled === marker;
}

/** The SQLSTATE a query failed with. */
async function sqlState(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

/** Notifications of one LISTEN connection, parsed, with a wait for the next matching one. */
class Listener {
  readonly events: { op: string; token: bigint; election: string; at: number }[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly client: pg.Client) {
    client.on('notification', (message) => {
      const match = /^([IUD])(\d+) (.*)$/s.exec(message.payload ?? '');
      if (!match) throw new Error(`unexpected payload ${message.payload}`);
      this.events.push({
        op: match[1] as string,
        token: BigInt(match[2] as string),
        election: match[3] as string,
        at: performance.now(),
      });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  of(election: string): string[] {
    return this.events.filter((e) => e.election === election).map((e) => `${e.op}${e.token}`);
  }

  async next(match: (event: Listener['events'][number]) => boolean, timeoutMs = 5_000) {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (performance.now() > deadline) throw new Error('no such notification in time');
      await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), sleep(50)]);
    }
  }
}

describeBackend('postgres')('postgres store layer (SQL statements)', () => {
  let server: ServerHandle;
  let pool: pg.Pool;
  const clients: pg.Client[] = [];

  /** A dedicated connection (for a transaction, or LISTEN), closed after the test. */
  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 5_000 });
    // A connection the server ends (a timeout, a restart) reports through the failed query.
    client.on('error', () => {});
    clients.push(client);
    await client.connect();
    return client;
  };

  const openSession = async (ttlMs = 10_000): Promise<string> => {
    const id = randomUUID();
    await pool.query(q.openSession, [id, ttlMs, `test ${process.pid}`]);
    return id;
  };

  const enqueue = async (election: string, session: string, id = 'c', value: string | null = null) => {
    const { rows } = await pool.query<{ token: string }>(q.enqueue, [election, session, id, value]);
    if (!rows[0]) throw new Error('session not alive');
    return BigInt(rows[0].token);
  };

  const toTurn = (row: { status: Status; predecessor: string | null; recheck_ms: number | null }): Turn => ({
    status: row.status,
    predecessor: row.predecessor === null ? undefined : BigInt(row.predecessor),
    recheckMs: row.recheck_ms ?? undefined,
  });

  const tryLead = async (election: string, token: bigint, session: string, on: pg.ClientBase | pg.Pool = pool) => {
    const { rows } = await on.query(q.tryLead, [election, token, session]);
    return toTurn(rows[0]);
  };

  const leader = async (election: string) => {
    const { rows } = await pool.query<{
      token: string;
      candidate_id: string;
      value: string | null;
      expires_in_ms: number;
    }>(q.leader, [election]);
    const row = rows[0];
    return row && { token: BigInt(row.token), id: row.candidate_id, value: row.value, expiresInMs: row.expires_in_ms };
  };

  /** Makes a session expired by the server's clock, as the passing of its ttl would. */
  const expire = (session: string) =>
    pool.query(`UPDATE baton.session SET expires_at = clock_timestamp() - interval '1 ms' WHERE id = $1`, [session]);

  const listen = async (): Promise<Listener> => {
    const client = await connect();
    const listener = new Listener(client);
    await client.query(q.listen);
    return listener;
  };

  beforeAll(async () => {
    // Commit timestamps let a test order the commits of concurrent transactions.
    server = await startServer('postgres', { postgresSettings: { track_commit_timestamp: true } });
    pool = new pg.Pool({ connectionString: server.url, max: 12 });
    pool.on('error', () => {});
    await pool.query(`BEGIN; ${schemaSql()} COMMIT;`);
  }, 60_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
  });

  afterAll(async () => {
    await pool?.end();
    await server?.stop();
  }, 30_000);

  describe('schema', () => {
    it('is created by an ordinary role, again without error, and by several clients at once', async () => {
      await pool.query('DROP SCHEMA baton CASCADE');
      const creators = await Promise.all([connect(), connect(), connect(), connect()]);
      await Promise.all(creators.map((client) => client.query(`BEGIN; ${schemaSql()} COMMIT;`)));
      await pool.query(`BEGIN; ${schemaSql()} COMMIT;`);
      expect((await pool.query(q.schemaVersion)).rows).toEqual([{ version: 1 }]);
      const { rows } = await pool.query("SELECT current_setting('is_superuser') AS superuser");
      expect(rows[0].superuser).toBe('off');
    });

    it('sql/001_init.sql is the DDL Baton runs on first use (npx tsx --conditions=source scripts/postgres-migration.ts)', async () => {
      expect(await readFile(MIGRATION_FILE, 'utf8')).toBe(schemaSql());
    });

    it('reports a missing schema with SQLSTATE 3F000 or 42P01, which first use turns into creating it', async () => {
      const other = statements('absent_schema');
      expect(await sqlState(pool.query(other.schemaVersion))).toMatch(/^(3F000|42P01)$/);
    });

    it('works in a schema of another name, announcing on a channel of that name', async () => {
      const schema = `Ops_${randomUUID().slice(0, 8)}`;
      const other = statements(schema);
      await pool.query(`BEGIN; ${schemaSql(schema)} COMMIT;`);
      const client = await connect();
      const heard: string[] = [];
      client.on('notification', (message) => heard.push(`${message.channel} ${message.payload?.[0]}`));
      await client.query(other.listen);
      const session = randomUUID();
      await pool.query(other.openSession, [session, 5_000, null]);
      const { rows } = await pool.query(other.enqueue, ['e', session, 'a', null]);
      expect((await pool.query(other.tryLead, ['e', rows[0].token, session])).rows[0].status).toBe('leader');
      await expect.poll(() => heard).toEqual([`${schema} I`]);
      await pool.query(`DROP SCHEMA ${quoteSchema(schema)} CASCADE`);
    });

    it('refuses a schema name that is not a plain identifier, with ERR_INVALID_ARGUMENT', () => {
      for (const bad of ['', 'a-b', '1abc', 'x'.repeat(64), 'baton"; DROP', 'baton.x']) {
        expect(() => statements(bad), bad).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
        expect(() => schemaSql(bad), bad).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
      }
    });
  });

  describe('the line and its tokens', () => {
    it('candidates lead in arrival order, each waiting behind the one before it, tokens strictly increasing', async () => {
      const election = unique('fifo');
      const line: { session: string; token: bigint }[] = [];
      for (let i = 0; i < 5; i++) {
        const session = await openSession();
        line.push({ session, token: await enqueue(election, session, `c${i}`) });
      }
      for (let i = 1; i < line.length; i++) expect(line[i]?.token).toBeGreaterThan(line[i - 1]?.token as bigint);
      const leaders: bigint[] = [];
      for (let i = 0; i < line.length; i++) {
        const head = line[i] as (typeof line)[number];
        expect(await tryLead(election, head.token, head.session)).toEqual({
          status: 'leader',
          predecessor: undefined,
          recheckMs: undefined,
        });
        for (let j = i + 1; j < line.length; j++) {
          const waiting = line[j] as (typeof line)[number];
          const turn = await tryLead(election, waiting.token, waiting.session);
          expect(turn.status).toBe('waiting');
          expect(turn.predecessor).toBe(line[j - 1]?.token);
        }
        leaders.push((await leader(election))?.token as bigint);
        expect((await pool.query(q.release, [election, head.token, head.session])).rowCount).toBe(1);
      }
      expect(leaders).toEqual(line.map((c) => c.token));
      expect(await leader(election)).toBeUndefined();
    });

    it('candidates joining at once: tokens are distinct and exactly one leads, the one with the lowest token', async () => {
      for (let round = 0; round < 10; round++) {
        const election = unique('race');
        const joiners = await Promise.all(Array.from({ length: 10 }, () => connect()));
        const sessions = await Promise.all(joiners.map(() => openSession()));
        // Each joins and asks for its turn on its own connection, all at the same time.
        const results = await Promise.all(
          joiners.map(async (client, i) => {
            const session = sessions[i] as string;
            const { rows } = await client.query(q.enqueue, [election, session, `c${i}`, null]);
            const token = BigInt(rows[0].token);
            return { token, turn: await tryLead(election, token, session, client) };
          }),
        );
        const tokens = results.map((r) => r.token);
        expect(new Set(tokens).size).toBe(tokens.length);
        const leaders = results.filter((r) => r.turn.status === 'leader');
        const lowest = [...tokens].sort((a, b) => (a < b ? -1 : 1))[0];
        expect(leaders.map((r) => r.token)).toEqual([lowest]);
      }
    });

    it('tokens are at least the server clock in microseconds, and keep increasing when the counter is set back or lost', async () => {
      const election = unique('floor');
      const session = await openSession();
      const { rows } = await pool.query('SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now');
      const first = await enqueue(election, session);
      expect(first).toBeGreaterThanOrEqual(BigInt(rows[0].now));
      // As setval or a restore of an old backup would do to a counter.
      await pool.query('UPDATE baton.election SET last_token = 1 WHERE name = $1', [election]);
      const second = await enqueue(election, session);
      expect(second).toBeGreaterThan(first);
      await pool.query('DELETE FROM baton.election WHERE name = $1', [election]);
      const third = await enqueue(election, session);
      expect(third).toBeGreaterThan(second);
      // Many at once in one election: one apart, not repeating a microsecond.
      const burst = [];
      for (let i = 0; i < 50; i++) burst.push(await enqueue(election, session));
      for (let i = 1; i < burst.length; i++) expect(burst[i]).toBeGreaterThan(burst[i - 1] as bigint);
    });
  });

  describe('sessions', () => {
    it('expire by the server clock; an expired session is never renewed again', async () => {
      const session = await openSession(400);
      const renew = async () => (await pool.query(q.renewSession, [session])).rows[0];
      expect(await renew()).toEqual({ renewed: true, candidacies: 0 });
      const { rows } = await pool.query(
        'SELECT extract(epoch FROM expires_at - clock_timestamp()) * 1000 AS left_ms FROM baton.session WHERE id = $1',
        [session],
      );
      expect(Number(rows[0].left_ms)).toBeGreaterThan(200);
      expect(Number(rows[0].left_ms)).toBeLessThanOrEqual(400);
      await sleep(500);
      expect(await renew()).toEqual({ renewed: false, candidacies: 0 });
      expect(await renew()).toEqual({ renewed: false, candidacies: 0 });
      // Nor can it join a line.
      expect((await pool.query(q.enqueue, [unique('late'), session, 'c', null])).rows).toEqual([]);
    });

    it('one statement renews every candidacy of a session, writing the session row only', async () => {
      const session = await openSession(2_000);
      const elections = Array.from({ length: 300 }, (_, i) => unique(`many${i}`));
      for (const election of elections) await enqueue(election, session);
      const rowVersions = async () =>
        (
          await pool.query('SELECT xmin::text AS v FROM baton.candidate WHERE session_id = $1 ORDER BY token', [
            session,
          ])
        ).rows;
      const before = await rowVersions();
      await sleep(1_000);
      const { rows } = await pool.query(q.renewSession, [session]);
      expect(rows).toEqual([{ renewed: true, candidacies: 300 }]);
      expect(await rowVersions()).toEqual(before);
      // Every election's leader now has most of a fresh ttl ahead of it.
      const left = await pool.query(
        `SELECT min(ceil(extract(epoch FROM x.expires_at - clock_timestamp()) * 1000))::integer AS ms
         FROM baton.candidate c JOIN baton.session x ON x.id = c.session_id WHERE c.session_id = $1`,
        [session],
      );
      expect(left.rows[0].ms).toBeGreaterThan(1_500);
      // A candidacy deleted from outside shows in the count.
      await pool.query('DELETE FROM baton.candidate WHERE election = $1', [elections[0]]);
      expect((await pool.query(q.renewSession, [session])).rows).toEqual([{ renewed: true, candidacies: 299 }]);
      await pool.query(q.closeSession, [session]);
      expect(
        (await pool.query('SELECT count(*)::int AS n FROM baton.candidate WHERE session_id = $1', [session])).rows,
      ).toEqual([{ n: 0 }]);
    });

    it('sweeping deletes expired sessions, but not one a fenced transaction holds, and never waits for it', async () => {
      const election = unique('sweep');
      const held = await openSession();
      const token = await enqueue(election, held);
      const idle = await openSession();
      const fenced = await connect();
      await fenced.query('BEGIN');
      await fenced.query(q.assertLeader, [election, token]);
      await expire(held);
      await expire(idle);
      const { rows } = await pool.query(q.sweepExpired, [1_000]);
      expect(rows[0].count).toBeGreaterThanOrEqual(1);
      const left = await pool.query('SELECT id FROM baton.session WHERE id = ANY($1::uuid[])', [[held, idle]]);
      expect(left.rows).toEqual([{ id: held }]);
      await fenced.query('ROLLBACK');
      await pool.query(q.sweepExpired, [1_000]);
      expect((await pool.query('SELECT id FROM baton.session WHERE id = $1', [held])).rows).toEqual([]);
    });
  });

  describe('handover', () => {
    it('proclaim changes the value observers read, not the token', async () => {
      const election = unique('proclaim');
      const session = await openSession();
      const token = await enqueue(election, session, 'a', 'first');
      expect(await leader(election)).toMatchObject({ token, id: 'a', value: 'first' });
      expect((await pool.query(q.proclaim, [election, token, session, 'second'])).rows).toEqual([
        { token: String(token) },
      ]);
      expect(await leader(election)).toMatchObject({ token, id: 'a', value: 'second' });
      // Not for a candidacy that has ended.
      await pool.query(q.release, [election, token, session]);
      expect((await pool.query(q.proclaim, [election, token, session, 'third'])).rows).toEqual([]);
    });

    it('release is guarded by token and session: a successor is never removed', async () => {
      const election = unique('guarded');
      const old = await openSession();
      const oldToken = await enqueue(election, old);
      const next = await openSession();
      const nextToken = await enqueue(election, next);
      await expire(old);
      expect((await tryLead(election, nextToken, next)).status).toBe('leader');
      // The old leader's late resign, and a release naming the successor's token with another session.
      expect((await pool.query(q.release, [election, oldToken, old])).rowCount).toBe(0);
      expect((await pool.query(q.release, [election, nextToken, old])).rowCount).toBe(0);
      expect(await leader(election)).toMatchObject({ token: nextToken });
    });

    it('every change is announced: join, proclaim, release, and each candidacy of an expired session when it is ended', async () => {
      const listener = await listen();
      const [e1, e2] = [unique('n1'), unique('n2')];
      const a = await openSession();
      const b = await openSession();
      const a1 = await enqueue(e1, a);
      const a2 = await enqueue(e2, a);
      const b1 = await enqueue(e1, b);
      await pool.query(q.proclaim, [e1, a1, a, 'v']);
      await expire(a);
      // b's turn ends a's session, and with it a's place in both elections.
      expect((await tryLead(e1, b1, b)).status).toBe('leader');
      await pool.query(q.release, [e1, b1, b]);
      await listener.next((e) => e.op === 'D' && e.token === b1);
      expect(listener.of(e1)).toEqual([`I${a1}`, `I${b1}`, `U${a1}`, `D${a1}`, `D${b1}`]);
      expect(listener.of(e2)).toEqual([`I${a2}`, `D${a2}`]);
    });

    it('the next candidate hears of a release at once and leads after one more round trip', async () => {
      const listener = await listen();
      const election = unique('handover');
      const first = await openSession();
      const firstToken = await enqueue(election, first);
      const second = await openSession();
      const secondToken = await enqueue(election, second);
      expect(await tryLead(election, secondToken, second)).toMatchObject({
        status: 'waiting',
        predecessor: firstToken,
      });
      const released = performance.now();
      await pool.query(q.release, [election, firstToken, first]);
      const heard = await listener.next((e) => e.op === 'D' && e.token === firstToken);
      expect(await tryLead(election, secondToken, second)).toMatchObject({ status: 'leader' });
      // Generous: loopback takes milliseconds; this only rules out waiting for a ttl or a timer.
      expect(heard.at - released).toBeLessThan(1_000);
    });

    it('a crashed holder sends nothing; the candidate behind it re-checks when told and takes over', async () => {
      const listener = await listen();
      const election = unique('crash');
      const crashed = await openSession(600);
      const crashedToken = await enqueue(election, crashed);
      const next = await openSession(10_000);
      const nextToken = await enqueue(election, next);
      const turn = await tryLead(election, nextToken, next);
      expect(turn).toMatchObject({ status: 'waiting', predecessor: crashedToken });
      expect(turn.recheckMs).toBeGreaterThan(300);
      expect(turn.recheckMs).toBeLessThanOrEqual(600);
      await sleep((turn.recheckMs as number) + 50);
      // Nothing was announced when the session expired: only the re-check finds out.
      expect(listener.of(election)).toEqual([`I${crashedToken}`, `I${nextToken}`]);
      expect((await tryLead(election, nextToken, next)).status).toBe('leader');
      await listener.next((e) => e.op === 'D' && e.token === crashedToken);
    });

    it('a waiting candidate whose session expired never leads, even after every one ahead of it left', async () => {
      const election = unique('expired-waiter');
      const head = await openSession();
      const headToken = await enqueue(election, head);
      const waiter = await openSession(300);
      const waiterToken = await enqueue(election, waiter);
      const behind = await openSession();
      const behindToken = await enqueue(election, behind);
      await sleep(400);
      await pool.query(q.release, [election, headToken, head]);
      expect((await tryLead(election, waiterToken, waiter)).status).toBe('lost');
      expect((await pool.query(q.renewSession, [waiter])).rows[0].renewed).toBe(false);
      expect((await tryLead(election, behindToken, behind)).status).toBe('leader');
      expect((await tryLead(election, waiterToken, waiter)).status).toBe('lost');
    });

    it('a candidacy deleted while it waits is lost, not leading, when its turn would come', async () => {
      const election = unique('deleted-waiter');
      const head = await openSession();
      const headToken = await enqueue(election, head);
      const waiter = await openSession();
      const waiterToken = await enqueue(election, waiter);
      await pool.query('DELETE FROM baton.candidate WHERE election = $1 AND token = $2', [election, waiterToken]);
      await pool.query(q.release, [election, headToken, head]);
      expect((await tryLead(election, waiterToken, waiter)).status).toBe('lost');
      expect(await leader(election)).toBeUndefined();
    });
  });

  describe('transactional fencing', () => {
    let ledger: string;

    beforeAll(async () => {
      ledger = `ledger_${randomUUID().slice(0, 8)}`;
      await pool.query(`CREATE TABLE ${ledger} (id bigserial PRIMARY KEY, token bigint NOT NULL, note text)`);
    });

    /** One fenced write: BEGIN, assert_leader, INSERT, COMMIT; rolled back if anything fails. */
    const fencedWrite = async (client: pg.ClientBase, election: string, token: bigint, note = '') => {
      await client.query('BEGIN');
      try {
        await client.query(q.assertLeader, [election, token]);
        await client.query(`INSERT INTO ${ledger} (token, note) VALUES ($1, $2)`, [token, note]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    };

    const rowsWith = async (token: bigint) =>
      (await pool.query(`SELECT count(*)::int AS n FROM ${ledger} WHERE token = $1`, [token])).rows[0].n as number;

    /** Whether every ledger row of `oldToken` committed strictly before every row of `nextToken`. */
    const committedInOrder = async (oldToken: bigint, nextToken: bigint) =>
      (
        await pool.query(
          `SELECT count(*) FILTER (WHERE token = $1)::int AS old_rows,
                  count(*) FILTER (WHERE token = $2)::int AS next_rows,
                  max(pg_xact_commit_timestamp(xmin)) FILTER (WHERE token = $1)
                    < min(pg_xact_commit_timestamp(xmin)) FILTER (WHERE token = $2) AS in_order
           FROM ${ledger} WHERE token = ANY(ARRAY[$1, $2]::bigint[])`,
          [oldToken, nextToken],
        )
      ).rows[0];

    const backendPid = async (client: pg.Client): Promise<number> =>
      (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;

    const waitingOnLock = async (pid: number) => {
      const { rows } = await pool.query('SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1', [pid]);
      return rows[0]?.wait_event_type === 'Lock';
    };

    it(`the leader's write commits; a waiting candidate's or an ended token's is refused with SQLSTATE ${NOT_LEADER_SQLSTATE}`, async () => {
      const election = unique('fence');
      const a = await openSession();
      const aToken = await enqueue(election, a);
      const b = await openSession();
      const bToken = await enqueue(election, b);
      const client = await connect();
      await fencedWrite(client, election, aToken);
      expect(await rowsWith(aToken)).toBe(1);
      expect(await sqlState(fencedWrite(client, election, bToken))).toBe(NOT_LEADER_SQLSTATE);
      await pool.query(q.release, [election, aToken, a]);
      expect(await sqlState(fencedWrite(client, election, aToken))).toBe(NOT_LEADER_SQLSTATE);
      expect(await sqlState(fencedWrite(client, election, 12345n))).toBe(NOT_LEADER_SQLSTATE);
      // As one statement outside an explicit transaction, the check holds for that statement.
      const single = `INSERT INTO ${ledger} (token) SELECT $2::bigint WHERE baton.assert_leader($1, $2)`;
      expect((await client.query(single, [election, bToken])).rowCount).toBe(1);
      expect(await sqlState(client.query(single, [election, aToken]))).toBe(NOT_LEADER_SQLSTATE);
      // An expired session does not lead even before anyone ends it.
      await expire(b);
      expect(await sqlState(fencedWrite(client, election, bToken))).toBe(NOT_LEADER_SQLSTATE);
    });

    it("the rest of a fenced transaction runs with timeouts no longer than the lease's remainder; tighter ones stay", async () => {
      const election = unique('timeouts');
      const session = await openSession(5_000);
      const token = await enqueue(election, session);
      const client = await connect();
      const timeouts = async () =>
        (
          await client.query(
            `SELECT (extract(epoch FROM current_setting('statement_timeout')::interval) * 1000)::int AS statement,
                    (extract(epoch FROM current_setting('idle_in_transaction_session_timeout')::interval) * 1000)::int AS idle`,
          )
        ).rows[0];
      await client.query('BEGIN');
      await client.query(`SET LOCAL statement_timeout = '250ms'`);
      await client.query(q.assertLeader, [election, token]);
      const inside = await timeouts();
      expect(inside.statement).toBe(250);
      expect(inside.idle).toBeGreaterThan(4_000);
      expect(inside.idle).toBeLessThanOrEqual(5_000);
      await client.query('COMMIT');
      expect(await timeouts()).toEqual({ statement: 0, idle: 0 });
    });

    it("a successor's takeover of an expired leader waits for the leader's fenced transaction, which commits first", async () => {
      const election = unique('expiry-path');
      const old = await openSession();
      const oldToken = await enqueue(election, old);
      const next = await openSession();
      const nextToken = await enqueue(election, next);
      const fenced = await connect();
      await fenced.query('BEGIN');
      await fenced.query(q.assertLeader, [election, oldToken]);
      await fenced.query(`INSERT INTO ${ledger} (token, note) VALUES ($1, 'before takeover')`, [oldToken]);
      await expire(old);
      const successor = await connect();
      const successorPid = await backendPid(successor);
      const takeover = tryLead(election, nextToken, next, successor);
      expect(await pendingAfter(takeover, 500)).toBe(true);
      expect(await waitingOnLock(successorPid)).toBe(true);
      await fenced.query('COMMIT');
      expect((await takeover).status).toBe('leader');
      await fencedWrite(successor, election, nextToken, 'successor');
      expect(await committedInOrder(oldToken, nextToken)).toEqual({ old_rows: 1, next_rows: 1, in_order: true });
      // The old leader's next fenced write is refused.
      expect(await sqlState(fencedWrite(fenced, election, oldToken))).toBe(NOT_LEADER_SQLSTATE);
    });

    it('resigning, closing the session and deleting the candidacy by hand all wait for the fenced transaction', async () => {
      for (const end of ['release', 'close', 'delete'] as const) {
        const election = unique(`end-${end}`);
        const session = await openSession();
        const token = await enqueue(election, session);
        const fenced = await connect();
        await fenced.query('BEGIN');
        await fenced.query(q.assertLeader, [election, token]);
        const other = await connect();
        const ending =
          end === 'release'
            ? other.query(q.release, [election, token, session])
            : end === 'close'
              ? other.query(q.closeSession, [session])
              : other.query('DELETE FROM baton.candidate WHERE election = $1', [election]);
        expect(await pendingAfter(ending, 300), end).toBe(true);
        // The holder can still renew and proclaim meanwhile.
        expect((await pool.query(q.renewSession, [session])).rows[0].renewed, end).toBe(true);
        expect((await pool.query(q.proclaim, [election, token, session, 'x'])).rowCount, end).toBe(1);
        await fenced.query(`INSERT INTO ${ledger} (token, note) VALUES ($1, $2)`, [token, end]);
        await fenced.query('COMMIT');
        await ending;
        expect(await leader(election), end).toBeUndefined();
      }
    });

    it('once the successor leads, a fenced write of the old leader fails at every isolation level', async () => {
      for (const level of ['READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE']) {
        const election = unique('isolation');
        const old = await openSession();
        const oldToken = await enqueue(election, old);
        const next = await openSession();
        const nextToken = await enqueue(election, next);
        // The old leader's transaction took its snapshot while it still led.
        const late = await connect();
        await late.query(`BEGIN ISOLATION LEVEL ${level}`);
        await late.query('SELECT 1');
        await expire(old);
        expect((await tryLead(election, nextToken, next)).status).toBe('leader');
        const state = await sqlState(late.query(q.assertLeader, [election, oldToken]));
        await late.query('ROLLBACK');
        // Serialization failure where the snapshot still shows the old leader, else not-leader.
        expect([NOT_LEADER_SQLSTATE, '40001'], level).toContain(state);
      }
    });

    it('a leader frozen inside a fenced transaction is cut off when its lease ends, so it holds no successor off', async () => {
      const election = unique('frozen');
      const frozen = await openSession(1_000);
      const frozenToken = await enqueue(election, frozen);
      const next = await openSession();
      const nextToken = await enqueue(election, next);
      const fenced = await connect();
      await fenced.query('BEGIN');
      await fenced.query(q.assertLeader, [election, frozenToken]);
      await fenced.query(`INSERT INTO ${ledger} (token, note) VALUES ($1, 'frozen')`, [frozenToken]);
      // Frozen: neither renewing nor finishing the transaction. The server ends it with the lease.
      const started = performance.now();
      let turn = await tryLead(election, nextToken, next);
      while (turn.status === 'waiting' && performance.now() - started < 5_000) {
        await sleep(Math.max(10, turn.recheckMs ?? 10));
        turn = await tryLead(election, nextToken, next);
      }
      expect(turn.status).toBe('leader');
      expect(performance.now() - started).toBeLessThan(3_000);
      // When it thaws, its transaction is gone and its write never happened.
      await expect(fenced.query('COMMIT')).rejects.toThrow();
      expect(await rowsWith(frozenToken)).toBe(0);
    });

    it('under concurrent fenced writers and a takeover, every committed write of the old leader precedes the successor', async () => {
      const election = unique('stress');
      const old = await openSession();
      const oldToken = await enqueue(election, old);
      const next = await openSession();
      const nextToken = await enqueue(election, next);
      const writers = await Promise.all(Array.from({ length: 5 }, () => connect()));
      let stop = false;
      const outcomes = { committed: 0, refused: 0, other: [] as string[] };
      const loops = writers.map(async (client, w) => {
        for (let i = 0; !stop; i++) {
          await client.query('BEGIN');
          try {
            await client.query(q.assertLeader, [election, oldToken]);
            await client.query(`INSERT INTO ${ledger} (token, note) VALUES ($1, $2)`, [oldToken, `w${w}-${i}`]);
            await client.query('SELECT pg_sleep(random() * 0.1)');
            await client.query('COMMIT');
            outcomes.committed++;
          } catch (error) {
            await client.query('ROLLBACK');
            const code = (error as { code?: string }).code ?? String(error);
            if (code === NOT_LEADER_SQLSTATE) outcomes.refused++;
            else outcomes.other.push(code);
          }
        }
      });
      const successor = await connect();
      await sleep(300);
      // The lease ends while writes that checked before are still open (each sleeps up to
      // 100 ms before committing); the successor tries at once.
      await expire(old);
      let turn = await tryLead(election, nextToken, next, successor);
      while (turn.status !== 'leader') turn = await tryLead(election, nextToken, next, successor);
      for (let i = 0; i < 20; i++) await fencedWrite(successor, election, nextToken, `s${i}`);
      await sleep(200);
      stop = true;
      await Promise.all(loops);
      expect(outcomes.other).toEqual([]);
      expect(outcomes.committed).toBeGreaterThan(0);
      expect(outcomes.refused).toBeGreaterThan(0);
      expect(await committedInOrder(oldToken, nextToken)).toEqual({
        old_rows: outcomes.committed,
        next_rows: 20,
        in_order: true,
      });
    });
  });
});
