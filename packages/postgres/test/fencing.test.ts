import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CandidateProcess } from '@baton/conformance';
import { connect } from '@baton/core';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from '../../../test/backends/index.js';
import { connectPostgres, fencedTransaction, NOT_LEADER_SQLSTATE } from '../src/index.js';

const TTL_MS = 2_000;
const writerScript = new URL('./support/fenced-writer.ts', import.meta.url);

describeBackend('postgres')('postgres: transactional fencing', () => {
  let server: ServerHandle;
  let app: pg.Pool;

  beforeAll(async () => {
    server = await startServer('postgres');
    app = new pg.Pool({ connectionString: server.url, max: 4 });
    app.on('error', () => {});
  });
  afterAll(async () => {
    await app?.end();
    await server?.stop();
  });

  const newTable = async (): Promise<string> => {
    const table = `writes_${randomUUID().slice(0, 8)}`;
    await app.query(`CREATE TABLE ${table} (seq bigserial PRIMARY KEY, token bigint NOT NULL, writer text NOT NULL)`);
    return table;
  };

  it('a leader frozen inside a fenced transaction past its ttl: the successor leads only once that transaction is ended, its commit after resuming is refused, and no row written after the successor began holds the old token', async () => {
    const table = await newTable();
    const election = `fencing/${randomUUID().slice(0, 8)}`;
    const start = (id: string) =>
      CandidateProcess.startScript(writerScript, { id, url: server.url, ttlMs: TTL_MS, election, table }, 30_000);
    const a = await start('a');
    const b = await start('b');
    try {
      const elected = await a.waitFor('a elected', 10_000, (e) => e.event === 'elected');
      await a.waitFor('a writing', 5_000, (e) => e.event === 'wrote' && e.accepted === true);
      a.send('hold');
      const inTx = await a.waitFor('a inside its transaction', 5_000, (e) => e.event === 'in-tx');
      a.signal('SIGSTOP');
      const frozenAt = process.hrtime.bigint();
      const next = await b.waitFor('b elected', TTL_MS * 3 + 5_000, (e) => e.event === 'elected');
      expect(BigInt(next.token ?? 0)).toBeGreaterThan(BigInt(elected.token ?? 0));
      await b.waitFor('b writing', 5_000, (e) => e.event === 'wrote' && e.accepted === true);
      // Frozen for more than a ttl, as the case requires.
      expect(Number(BigInt(next.at) - frozenAt) / 1e6).toBeGreaterThan(TTL_MS * 0.5);
      const resumedFrom = a.events.length;
      a.signal('SIGCONT');
      const heldCommit = await a.waitFor('the held commit', 5_000, (e) => e.event === 'wrote', resumedFrom);
      expect(heldCommit).toMatchObject({ accepted: false, writer: 'a-held' });
      const afterResume = await a.waitFor(
        'a write after resuming',
        5_000,
        (e) => e.event === 'wrote' && (e as { writer?: string }).writer === 'a',
        a.events.indexOf(heldCommit) + 1,
      );
      expect(afterResume).toMatchObject({ accepted: false, error: 'ERR_LEADERSHIP_LOST deposed' });
      expect(inTx.token).toBe(elected.token);

      const { rows } = await app.query<{ late: string; held: string; b: string }>(
        `SELECT count(*) FILTER (WHERE token = $1 AND seq > (SELECT min(seq) FROM ${table} WHERE token = $2)) AS late,
                  count(*) FILTER (WHERE writer = 'a-held') AS held,
                  count(*) FILTER (WHERE token = $2) AS b
             FROM ${table}`,
        [elected.token, next.token],
      );
      expect(rows[0]).toMatchObject({ late: '0', held: '0' });
      expect(Number(rows[0]?.b)).toBeGreaterThan(0);
    } finally {
      await Promise.allSettled([a.stop(), b.stop()]);
    }
  }, 60_000);

  it('a token that no longer leads is refused with SQLSTATE NL001 in one statement, and the helper says ERR_LEADERSHIP_LOST', async () => {
    const table = await newTable();
    const backend = await connectPostgres(server.url, { ttlMs: TTL_MS });
    try {
      const election = backend.election(`fencing/${randomUUID().slice(0, 8)}`);
      const leadership = await election.campaign({ id: 'solo' });
      const insert = `INSERT INTO ${table} (token, writer) SELECT $1, 'one-statement' WHERE baton.assert_leader($2, $1)`;
      await app.query(insert, [leadership.token.toString(), election.name]);
      await election.transaction(leadership, app, (tx) =>
        tx.query(`INSERT INTO ${table} (token, writer) VALUES ($1, 'helper')`, [leadership.token.toString()]),
      );
      await leadership.resign();
      await expect(app.query(insert, [leadership.token.toString(), election.name])).rejects.toMatchObject({
        code: NOT_LEADER_SQLSTATE,
      });
      const fence = { election: election.name, token: leadership.token };
      await expect(
        fencedTransaction(app, fence, (tx) =>
          tx.query(`INSERT INTO ${table} (token, writer) VALUES ($1, 'late')`, [fence.token.toString()]),
        ),
      ).rejects.toMatchObject({ code: 'ERR_LEADERSHIP_LOST', reason: 'deposed' });
      // The election's own helper refuses at once, without a round trip, once the leadership knows it ended.
      await expect(election.transaction(leadership, app, async () => undefined)).rejects.toMatchObject({
        code: 'ERR_LEADERSHIP_LOST',
      });
      const { rows } = await app.query<{ writer: string }>(`SELECT writer FROM ${table} ORDER BY seq`);
      expect(rows.map((row) => row.writer)).toEqual(['one-statement', 'helper']);
    } finally {
      await backend.close();
    }
  });

  it('a successor waits for a fenced transaction of the old leader to end before it leads', async () => {
    const ttlMs = 5_000;
    const [old, next] = [await connect(server.url, { ttlMs }), await connect(server.url, { ttlMs })];
    try {
      const name = `fencing/${randomUUID().slice(0, 8)}`;
      const leadership = await old.election(name).campaign({ id: 'old' });
      const client = await app.connect();
      client.on('error', () => {});
      try {
        await client.query('BEGIN');
        await client.query('SELECT baton.assert_leader($1, $2)', [name, leadership.token.toString()]);
        const successor = next.election(name).campaign({ id: 'next' });
        // The resign's delete waits for the open transaction, and so does the successor.
        const resigned = leadership.resign();
        const early = await Promise.race([successor.then(() => 'led'), sleep(500, 'waiting')]);
        expect(early).toBe('waiting');
        await client.query('COMMIT');
        await resigned;
        const led = await successor;
        expect(led.token).toBeGreaterThan(leadership.token);
      } finally {
        client.release();
      }
    } finally {
      await Promise.all([old.close(), next.close()]);
    }
  });

  it('a fenced transaction still open when the lease runs out is ended by the server, and the successor leads then', async () => {
    const [old, next] = [await connect(server.url, { ttlMs: TTL_MS }), await connect(server.url, { ttlMs: TTL_MS })];
    try {
      const name = `fencing/${randomUUID().slice(0, 8)}`;
      const leadership = await old.election(name).campaign({ id: 'old' });
      const client = await app.connect();
      client.on('error', () => {});
      try {
        await client.query('BEGIN');
        await client.query('SELECT baton.assert_leader($1, $2)', [name, leadership.token.toString()]);
        const successor = next.election(name).campaign({ id: 'next' });
        const started = performance.now();
        void leadership.resign();
        const led = await successor;
        expect(performance.now() - started).toBeLessThan(TTL_MS + 1_000);
        expect(led.token).toBeGreaterThan(leadership.token);
        await expect(client.query('COMMIT')).rejects.toThrow();
      } finally {
        client.release(true);
      }
    } finally {
      await Promise.all([old.close(), next.close()]);
    }
  });
});
