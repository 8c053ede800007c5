import { BackendUnavailableError, type LeaderInfo, raceAbort, withTimeout } from '@baton/core/adapter';
import type pg from 'pg';
import { sqlState, toBatonError } from './errors.js';
import { SCHEMA_VERSION, schemaSql } from './schema.js';
import { type Statements, statements } from './statements.js';

/** A candidate's turn, as `try_lead` decides it. */
export type Turn =
  | { readonly status: 'leader' | 'lost' }
  | { readonly status: 'waiting'; readonly predecessor: bigint; readonly recheckMs: number };

/** The leader and how long its session has left by the server's clock. */
export interface LeaderRead {
  readonly info: LeaderInfo;
  readonly expiresInMs: number;
}

/** SQLSTATEs after which a connection is not worth giving back to the pool. */
function connectionBroken(error: unknown, aborted: boolean): boolean {
  const state = sqlState(error);
  return aborted || state === undefined || state.startsWith('08') || state.startsWith('57P');
}

/**
 * The statements of `statements.ts`, each one bounded round trip on a pooled connection: the
 * checkout and the statement together within requestTimeoutMs and the caller's signal. The
 * session's statements have a connection of their own, so that a renewal never waits in the
 * pool's queue behind thousands of campaigns. A
 * statement cut short (a frozen server, a lock held by a fenced transaction) takes its
 * connection with it, so that nothing queues behind it; errors become Baton's.
 */
export class PgStore {
  readonly pool: pg.Pool;
  /** One connection for opening, renewing and closing the session. */
  readonly sessionPool: pg.Pool;
  readonly schema: string;
  readonly requestTimeoutMs: number;
  readonly sql: Statements;

  constructor(pool: pg.Pool, sessionPool: pg.Pool, schema: string, requestTimeoutMs: number) {
    this.pool = pool;
    this.sessionPool = sessionPool;
    this.schema = schema;
    this.requestTimeoutMs = requestTimeoutMs;
    this.sql = statements(schema);
  }

  /** Runs one statement; `what` names it in errors. */
  async query<R extends pg.QueryResultRow>(
    what: string,
    text: string,
    values: readonly unknown[],
    signal?: AbortSignal,
    timeoutMs = this.requestTimeoutMs,
    script = false,
    pool = this.pool,
  ): Promise<R[]> {
    try {
      const waiting = `${what} (waiting for a pooled connection)`;
      const client = await withTimeout(waiting, CHECKOUT_TIMEOUT_MS, (bound) => checkout(pool, bound), signal);
      return await withTimeout(what, timeoutMs, (bound) => this.run<R>(client, text, values, bound, script), signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw toBatonError(error, what);
    }
  }

  private async run<R extends pg.QueryResultRow>(
    client: pg.PoolClient,
    text: string,
    values: readonly unknown[],
    bound: AbortSignal,
    script: boolean,
  ): Promise<R[]> {
    // A checked-out connection whose socket fails emits 'error' as well as failing the
    // statement; without a listener that would end the process. A connection given up on
    // keeps it: it may still report its end.
    client.on('error', ignore);
    const running = values.length === 0 ? client.query<R>(text) : client.query<R>(text, [...values]);
    try {
      const result = await raceAbort(running, bound);
      client.off('error', ignore);
      client.release();
      return result.rows;
    } catch (error) {
      running.catch(() => undefined);
      // A script that failed inside its BEGIN leaves the connection in an aborted transaction.
      const destroy = script || connectionBroken(error, bound.aborted);
      if (!destroy) client.off('error', ignore);
      client.release(destroy ? asError(error) : undefined);
      throw error;
    }
  }

  private sessionQuery<R extends pg.QueryResultRow>(
    what: string,
    text: string,
    values: readonly unknown[],
    signal: AbortSignal,
  ): Promise<R[]> {
    return this.query<R>(what, text, values, signal, this.requestTimeoutMs, false, this.sessionPool);
  }

  /**
   * Creates the schema when it is missing or older than this version, unless `create` is
   * false: then a missing schema is an error that says how to apply the migration.
   * @throws BackendUnavailableError when the schema is missing and may not be created; AuthError when the role may not create it.
   */
  async ensureSchema(create: boolean, signal: AbortSignal, timeoutMs: number): Promise<void> {
    let version: number | undefined;
    try {
      const rows = await this.query<{ version: number | null }>(
        'schema read',
        this.sql.schemaVersion,
        [],
        signal,
        timeoutMs,
      );
      version = rows[0]?.version ?? undefined;
    } catch (error) {
      const state = sqlState((error as Error).cause);
      if (state !== '42P01' && state !== '3F000') throw error;
    }
    if (version !== undefined && version >= SCHEMA_VERSION) return;
    if (!create) {
      throw new BackendUnavailableError(
        `schema "${this.schema}" has no Baton tables (version ${SCHEMA_VERSION}); apply sql/001_init.sql of @baton/postgres, or drop createSchema=false`,
      );
    }
    // One transaction; the script takes an advisory lock so that clients starting together wait for each other.
    await this.query('schema creation', `BEGIN;\n${schemaSql(this.schema)}\nCOMMIT;`, [], signal, timeoutMs, true);
  }

  async openSession(id: string, ttlMs: number, label: string, signal: AbortSignal): Promise<void> {
    await this.sessionQuery('session open', this.sql.openSession, [id, ttlMs, label], signal);
  }

  /** `renewed` false once the session expired or was deleted; `candidacies` the rows on it. */
  async renewSession(id: string, signal: AbortSignal): Promise<{ renewed: boolean; candidacies: number }> {
    const [row] = await this.sessionQuery<{ renewed: boolean; candidacies: number }>(
      'session renewal',
      this.sql.renewSession,
      [id],
      signal,
    );
    return row ?? { renewed: false, candidacies: 0 };
  }

  /** Deletes up to `limit` expired sessions (and their rows) that no fenced transaction holds. */
  async sweepExpired(limit: number, signal?: AbortSignal): Promise<number> {
    const [row] = await this.query<{ count: number }>('sweep', this.sql.sweepExpired, [limit], signal);
    return row?.count ?? 0;
  }

  async closeSession(id: string, signal: AbortSignal): Promise<void> {
    await this.sessionQuery('session close', this.sql.closeSession, [id], signal);
  }

  /** Joins the line; the new token, or undefined when the session is no longer alive. */
  async enqueue(
    election: string,
    session: string,
    id: string,
    value: string | undefined,
    signal: AbortSignal,
  ): Promise<bigint | undefined> {
    const [row] = await this.query<{ token: string }>(
      'campaign',
      this.sql.enqueue,
      [election, session, id, value ?? null],
      signal,
    );
    return row ? BigInt(row.token) : undefined;
  }

  async tryLead(election: string, token: bigint, session: string, signal: AbortSignal): Promise<Turn> {
    const [row] = await this.query<{ status: string; predecessor: string | null; recheck_ms: number | null }>(
      'turn',
      this.sql.tryLead,
      [election, token.toString(), session],
      signal,
    );
    if (row?.status === 'waiting' && row.predecessor !== null) {
      return { status: 'waiting', predecessor: BigInt(row.predecessor), recheckMs: row.recheck_ms ?? 0 };
    }
    return { status: row?.status === 'leader' ? 'leader' : 'lost' };
  }

  async leader(election: string, signal: AbortSignal): Promise<LeaderRead | undefined> {
    const [row] = await this.query<{
      token: string;
      candidate_id: string;
      value: string | null;
      expires_in_ms: number;
    }>('leader read', this.sql.leader, [election], signal);
    if (!row) return undefined;
    const info: LeaderInfo = {
      id: row.candidate_id,
      token: BigInt(row.token),
      ...(row.value === null ? {} : { value: row.value }),
    };
    return { info, expiresInMs: row.expires_in_ms };
  }

  /** Whether the candidacy is still this session's. */
  async holds(election: string, token: bigint, session: string, signal: AbortSignal): Promise<boolean> {
    const rows = await this.query('ownership read', this.sql.candidacy, [election, token.toString(), session], signal);
    return rows.length > 0;
  }

  async proclaim(election: string, token: bigint, session: string, value: string, signal: AbortSignal) {
    const rows = await this.query('proclaim', this.sql.proclaim, [election, token.toString(), session, value], signal);
    return rows.length > 0;
  }

  async release(election: string, token: bigint, session: string, signal?: AbortSignal): Promise<void> {
    await this.query('release', this.sql.release, [election, token.toString(), session], signal);
  }

  async discardStray(election: string, session: string, keep: readonly bigint[], signal?: AbortSignal): Promise<void> {
    await this.query('cleanup', this.sql.discardStray, [election, session, keep.map(String)], signal);
  }
}

/**
 * How long a statement may wait for a pooled connection, apart from its own bound: thousands of
 * campaigns at once queue here, a few milliseconds each, and must not time out for queueing.
 */
const CHECKOUT_TIMEOUT_MS = 30_000;

/** A connection of `pool`, or a rejection when `bound` aborts first (a connection that comes later goes back). */
async function checkout(pool: pg.Pool, bound: AbortSignal): Promise<pg.PoolClient> {
  const pending = pool.connect();
  try {
    return await raceAbort(pending, bound);
  } catch (error) {
    pending.then(
      (late) => late.release(),
      () => undefined,
    );
    throw error;
  }
}

function ignore(): void {}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
