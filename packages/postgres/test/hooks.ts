import type { StoreHooks } from '@baton/conformance';
import type { Backend } from '@baton/core';
import pg from 'pg';
import { PostgresBackend } from '../src/backend.js';
import { DEFAULT_SCHEMA, quoteSchema } from '../src/schema.js';

function backendOf(backend: Backend): PostgresBackend {
  if (!(backend instanceof PostgresBackend)) throw new Error(`not a postgres backend: ${backend.kind}`);
  return backend;
}

export interface PostgresHooks {
  readonly hooks: StoreHooks;
  /** The outside connection the hooks use, as the superuser. */
  readonly admin: pg.Pool;
  close(): Promise<void>;
}

/**
 * Store hooks for PostgreSQL, acting as the superuser through a pool of their own. They know
 * Baton's tables (`schema.ts`): `session (id, expires_at, ...)`, and `candidate (election,
 * token, session_id, candidate_id, value)` where the lowest token with a live session leads.
 * `renewalCount` reads pg_stat_statements, so the server must load it
 * (`shared_preload_libraries = 'pg_stat_statements'`).
 *
 * @param adminUrl the superuser's URL of the database Baton uses.
 * @param ttlMs how long the outsider of overwriteLeaderKey holds the row.
 */
export function postgresHooks(adminUrl: string, ttlMs: number, schema = DEFAULT_SCHEMA): PostgresHooks {
  const admin = new pg.Pool({ connectionString: adminUrl, max: 2, connectionTimeoutMillis: 5_000 });
  admin.on('error', () => {});
  const s = quoteSchema(schema);
  const head = `SELECT min(token) FROM ${s}.candidate WHERE election = $1`;
  let statsReady: Promise<unknown> | undefined;

  const hooks: StoreHooks = {
    // What expiry is in this store: the session's expires_at passes by the server's clock. The
    // rows stay until someone finds them expired (a renewal, a successor's try_lead).
    async expireSession(backend) {
      const id = backendOf(backend).sessionId;
      if (id === undefined) throw new Error('the client holds no session');
      await admin.query(`UPDATE ${s}.session SET expires_at = clock_timestamp() - interval '1 ms' WHERE id = $1`, [id]);
    },
    async deleteLeaderKey(election) {
      const { rowCount } = await admin.query(`DELETE FROM ${s}.candidate WHERE election = $1 AND token = (${head})`, [
        election,
      ]);
      if (rowCount !== 1) throw new Error(`election ${election} has no leader row`);
    },
    // An outsider's session takes the leader's row: same token, another session, id and value.
    async overwriteLeaderKey(election) {
      const { rowCount } = await admin.query(
        `WITH outsider AS (
           INSERT INTO ${s}.session (id, ttl_ms, expires_at, label)
           VALUES (gen_random_uuid(), $2::integer, clock_timestamp() + $2::integer * interval '1 millisecond', 'outsider')
           RETURNING id)
         UPDATE ${s}.candidate SET session_id = (SELECT id FROM outsider), candidate_id = 'outsider', value = 'overwritten'
         WHERE election = $1 AND token = (${head})`,
        [election, Math.ceil(ttlMs)],
      );
      if (rowCount !== 1) throw new Error(`election ${election} has no leader row`);
    },
    // Ends the client's LISTEN connection from the server's side; every notification sent
    // until it listens again is lost.
    async breakWatches(backend) {
      const { rows } = await admin.query<{ ended: boolean }>(
        'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1',
        [backendOf(backend).listenerName],
      );
      if (!rows.some((row) => row.ended)) throw new Error('no LISTEN connection of this client found');
    },
    // The renewal UPDATEs the server ran, from every client.
    async renewalCount() {
      statsReady ??= admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await statsReady;
      const { rows } = await admin.query<{ calls: string }>(
        `SELECT coalesce(sum(calls), 0)::bigint AS calls FROM pg_stat_statements WHERE query LIKE $1`,
        [`%UPDATE ${s}.session SET expires_at%`],
      );
      return Number(rows[0]?.calls ?? 0);
    },
  };
  return { hooks, admin, close: () => admin.end() };
}
