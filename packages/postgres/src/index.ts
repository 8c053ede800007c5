import type { BackendOptions } from '@baton/core/adapter';
import { type BackendFactory, registerAdapter } from '@baton/core/adapter';
import type pg from 'pg';
import { openPostgresBackend, type PostgresBackend } from './backend.js';
import { postgresCapabilities } from './capabilities.js';
import { type PostgresUrl, parsePostgresUrl } from './url.js';

export { PostgresBackend } from './backend.js';
export { POSTGRES_TTL_LIMITS, postgresCapabilities } from './capabilities.js';
export type { PostgresElection } from './election.js';
export { type Fence, fencedTransaction, type Queryable } from './fencing.js';
export { DEFAULT_SCHEMA, NOT_LEADER_SQLSTATE, quoteSchema, SCHEMA_VERSION, schemaSql } from './schema.js';
export { type Statements, statements } from './statements.js';
export { DEFAULT_POSTGRES_PORT, type PostgresUrl, parsePostgresUrl, type SslMode } from './url.js';

/** Registered for `postgres://` and `postgresql://`; `connect('postgres://...')` from @baton/core finds it. */
export const postgresBackendFactory: BackendFactory<PostgresUrl> = {
  kind: 'postgres',
  schemes: ['postgres', 'postgresql'],
  parseUrl: parsePostgresUrl,
  capabilities: (options) => postgresCapabilities(options.ttlMs),
  connect: openPostgresBackend,
};

/** `connect()` options, with the `client` typed: a `pg.Pool` of the application's. */
export interface PostgresConnectOptions extends Omit<BackendOptions, 'client'> {
  /**
   * A pool to send Baton's statements through instead of a new one; the backend will not end
   * it. Its connection settings apply (the URL then gives only the schema and createSchema),
   * and the LISTEN connection is opened with them outside the pool. It must reach the
   * database directly or through a session-mode pooler.
   * @default a new pool of 10 connections for the URL
   */
  readonly client?: pg.Pool;
}

/**
 * Connects like `connect(url)` from @baton/core, typed for PostgreSQL. Importing this package
 * registers `postgres://` and `postgresql://` for `connect()`.
 * @throws the errors of `connect()`.
 */
export const connectPostgres = registerAdapter<PostgresUrl, PostgresBackend, PostgresConnectOptions>(
  postgresBackendFactory,
);
