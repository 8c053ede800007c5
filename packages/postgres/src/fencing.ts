import { InvalidArgumentError, LeadershipLostError, validateElectionName } from '@baton/core/adapter';
import type pg from 'pg';
import { isPool } from './connections.js';
import { sqlState } from './errors.js';
import { DEFAULT_SCHEMA, NOT_LEADER_SQLSTATE, quoteSchema } from './schema.js';

/** Which leadership a fenced transaction writes for. */
export interface Fence {
  /** The election's name. */
  readonly election: string;
  /** The leadership's fencing token (`leadership.token`). */
  readonly token: bigint;
  /** The schema of Baton's tables. @default 'baton' */
  readonly schema?: string;
}

/** A pool, or a connection the caller checked out or opened (not already in a transaction). */
export type Queryable = pg.Pool | pg.ClientBase;

/**
 * Runs `work` in one transaction on the application's own pool or connection, after
 * `assert_leader(election, token)`: the transaction commits only while the token leads, and
 * no successor can take over between that check and the commit (the leader's rows stay
 * locked FOR KEY SHARE until it ends; every way of ending them waits). Call it for the writes
 * a leader makes on the leadership's behalf, in the database that holds the election.
 * @throws LeadershipLostError (ERR_LEADERSHIP_LOST, reason 'deposed') when the token no longer
 *   leads (SQLSTATE NL001), or reason 'expired' when the lease ran out during the transaction
 *   and the server ended it; nothing of `work` is committed then.
 * @throws InvalidArgumentError for a malformed election name, token or schema; whatever `work` throws (after a rollback).
 */
export async function fencedTransaction<T>(
  db: Queryable,
  fence: Fence,
  work: (tx: pg.ClientBase) => Promise<T>,
): Promise<T> {
  validateElectionName(fence.election);
  if (typeof fence.token !== 'bigint' || fence.token <= 0n)
    throw new InvalidArgumentError('token must be a bigint > 0');
  const assert = `SELECT ${quoteSchema(fence.schema ?? DEFAULT_SCHEMA)}.assert_leader($1::text, $2::bigint)`;
  const pooled = isPool(db);
  const client = pooled ? await db.connect() : db;
  // A socket failure also emits 'error' on a checked-out connection; the failed query reports it.
  const ignore = (): void => {};
  if (pooled) client.on('error', ignore);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      await client.query(assert, [fence.election, fence.token.toString()]);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((failed: unknown) => {
        broken = failed instanceof Error ? failed : new Error(String(failed));
      });
      throw fencingError(error, fence) ?? error;
    }
  } finally {
    if (pooled) {
      if (!broken) client.off('error', ignore);
      (client as pg.PoolClient).release(broken);
    }
  }
}

/** NL001 and a transaction the server ended at the lease's end, as Baton's error; undefined for anything else. */
function fencingError(error: unknown, fence: Fence): Error | undefined {
  const state = sqlState(error);
  if (state === NOT_LEADER_SQLSTATE) {
    return new LeadershipLostError('deposed', `token ${fence.token} does not lead election "${fence.election}"`, {
      cause: error,
    });
  }
  // idle_in_transaction_session_timeout, which assert_leader bounded by what the lease had left.
  if (state === '25P03') {
    return new LeadershipLostError('expired', 'the lease ran out during the fenced transaction', { cause: error });
  }
  return undefined;
}
