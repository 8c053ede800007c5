import {
  BackendBase,
  type Capabilities,
  type ResolvedBackendOptions,
  requestTimeoutFor,
  Session,
  ttlInForce,
} from '@baton/core/adapter';
import type pg from 'pg';
import { Candidacies } from './candidacies.js';
import { POSTGRES_TTL_LIMITS, postgresCapabilities } from './capabilities.js';
import { type Connections, openConnections } from './connections.js';
import type { PostgresElectionContext } from './context.js';
import { PostgresElection } from './election.js';
import { toBatonError } from './errors.js';
import { NotificationHub } from './notifications.js';
import { postgresSessionDriver } from './session-driver.js';
import { PgStore } from './store.js';
import type { PostgresUrl } from './url.js';

/**
 * A client of one PostgreSQL database. One session row per client, shared by all its
 * elections and renewed at ttl/3 by core's Session with one UPDATE on a connection of its own;
 * other statements go through a pool (the backend's own, or the application's), notifications
 * through one LISTEN connection.
 */
export class PostgresBackend extends BackendBase<PostgresElection> {
  readonly kind = 'postgres';
  readonly capabilities: Capabilities;
  /** The ttl in force: the requested ttl in whole milliseconds, at least 250 ms. */
  readonly ttlMs: number;
  /** The schema of Baton's tables (`?schema=`, default `baton`). */
  readonly schema: string;
  private readonly context: PostgresElectionContext;
  private readonly connections: Connections;

  constructor(
    connections: Connections,
    store: PgStore,
    hub: NotificationHub,
    ttlMs: number,
    options: ResolvedBackendOptions,
  ) {
    super();
    this.connections = connections;
    this.schema = store.schema;
    this.ttlMs = ttlMs;
    this.capabilities = postgresCapabilities(ttlMs);
    const candidacies = new Candidacies();
    this.context = {
      scope: this.scope,
      logger: options.logger,
      ttlMs,
      requestTimeoutMs: store.requestTimeoutMs,
      store,
      notifications: hub,
      candidacies,
      session: new Session<string>(postgresSessionDriver(store, candidacies, options.logger), {
        ttlMs,
        onDisconnect: options.onDisconnect,
        logger: options.logger,
        label: 'postgres',
        requestTimeoutMs: store.requestTimeoutMs,
      }),
    };
  }

  /** The id of this client's live session row, if it holds one. For operators and test hooks. */
  get sessionId(): string | undefined {
    return this.context.session.peek()?.id;
  }

  /** The pool Baton's statements go through. */
  get pool(): pg.Pool {
    return this.connections.pool;
  }

  /** The application_name of this client's LISTEN connection, as pg_stat_activity shows it. */
  get listenerName(): string {
    return this.connections.listenerName;
  }

  protected createElection(name: string): PostgresElection {
    return new PostgresElection(this.context, name);
  }

  protected async finalize(): Promise<void> {
    await this.context.session.close();
    await this.context.notifications.close();
    await this.connections.sessionPool.end().catch(() => undefined);
    if (this.connections.ownsPool) await this.connections.pool.end().catch(() => undefined);
  }
}

/**
 * Opens a backend: settles the ttl, opens the pool and the LISTEN connection (which proves the
 * server reachable and the credentials good), creates the schema if it is missing (unless
 * `createSchema=false`), and starts listening. `signal` aborting closes what was opened.
 */
export async function openPostgresBackend(
  url: PostgresUrl,
  options: ResolvedBackendOptions,
  signal: AbortSignal,
): Promise<PostgresBackend> {
  const ttlMs = ttlInForce('postgres', options.ttlMs, POSTGRES_TTL_LIMITS, options);
  const connections = await openConnections(url, options, signal);
  const store = new PgStore(connections.pool, connections.sessionPool, url.schema, requestTimeoutFor(ttlMs));
  const hub = new NotificationHub({
    config: connections.listenConfig,
    listenSql: store.sql.listen,
    channel: url.schema,
    logger: options.logger,
    timeoutMs: store.requestTimeoutMs,
  });
  try {
    await store.ensureSchema(url.createSchema, signal, options.connectTimeoutMs);
    await hub.start(connections.listener, signal);
    return new PostgresBackend(connections, store, hub, ttlMs, options);
  } catch (error) {
    await connections.listener.end().catch(() => undefined);
    await hub.close();
    await connections.sessionPool.end().catch(() => undefined);
    if (connections.ownsPool) await connections.pool.end().catch(() => undefined);
    if (signal.aborted) throw signal.reason;
    throw toBatonError(error, `connect to ${url.redacted}`);
  }
}
