import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, type ResolvedBackendOptions, raceAbort } from '@baton/core/adapter';
import pg from 'pg';
import { toBatonError } from './errors.js';
import { isTlsRefused, tlsOptions } from './tls.js';
import type { PostgresUrl } from './url.js';

/** What a backend talks through: a pool for its statements, a dedicated connection for LISTEN. */
export interface Connections {
  readonly pool: pg.Pool;
  readonly ownsPool: boolean;
  /** The session's own connection (a pool of one, always the backend's), so that renewals never queue behind campaigns. */
  readonly sessionPool: pg.Pool;
  /** Settings of a new LISTEN connection (the pool's, with its own application_name). */
  readonly listenConfig: pg.ClientConfig;
  /** The LISTEN connection, already connected: it is also what proved the server reachable. */
  readonly listener: pg.Client;
  /** The application_name of the LISTEN connection, for operators (and test hooks) looking at pg_stat_activity. */
  readonly listenerName: string;
}

/** Statements of the backend's own pool: enough for hundreds of campaigns at once, queued beyond. */
const POOL_SIZE = 10;

/** A `pg.Pool`, recognised by shape so that a second copy of pg in the tree still counts. */
export function isPool(value: unknown): value is pg.Pool {
  const candidate = value as Partial<pg.Pool> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.connect === 'function' &&
    typeof candidate.query === 'function' &&
    typeof candidate.end === 'function' &&
    typeof candidate.options === 'object'
  );
}

/** Connects a new client, or ends it (also when it connects after `signal` aborted). */
async function connectClient(config: pg.ClientConfig, signal: AbortSignal): Promise<pg.Client> {
  const client = new pg.Client(config);
  // Errors after connect are reported by the failed query or the 'end' event; without a
  // listener pg would throw them, ending the process.
  client.on('error', () => {});
  const connecting = client.connect();
  try {
    await raceAbort(connecting, signal);
    return client;
  } catch (error) {
    connecting.then(
      () => client.end().catch(() => undefined),
      () => undefined,
    );
    throw error;
  }
}

/**
 * Builds the pool (or adopts the caller's) and opens the LISTEN connection, which also checks
 * that the server answers and takes the credentials. Under `sslmode=prefer` a server without
 * TLS is asked again in plain text, as libpq does.
 * @throws InvalidArgumentError for an `options.client` that is not a pg.Pool, or an unreadable sslrootcert.
 * @throws AuthError for refused credentials; BackendUnavailableError when the server does not answer.
 */
export async function openConnections(
  url: PostgresUrl,
  options: ResolvedBackendOptions,
  signal: AbortSignal,
): Promise<Connections> {
  const given = options.client;
  if (given !== undefined && !isPool(given)) {
    throw new InvalidArgumentError('options.client must be a pg.Pool (from the pg package)');
  }
  const name = `baton:${randomUUID().slice(0, 8)}`;
  const listenerName = `${name}:listen`;
  let base: pg.ClientConfig = given
    ? { ...(given.options as pg.ClientConfig) }
    : {
        host: url.host,
        port: url.port,
        user: url.user,
        password: url.password,
        database: url.database,
        ssl: await tlsOptions(url),
        keepAlive: true,
      };
  base = { connectionTimeoutMillis: options.connectTimeoutMs, ...base };
  let listener: pg.Client;
  try {
    try {
      listener = await connectClient({ ...base, application_name: listenerName }, signal);
    } catch (error) {
      if (given || url.sslMode !== 'prefer' || !isTlsRefused(error)) throw error;
      base = { ...base, ssl: false };
      listener = await connectClient({ ...base, application_name: listenerName }, signal);
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw toBatonError(error, `connect to ${url.redacted}`);
  }
  const pool = given ?? new pg.Pool({ ...base, application_name: name, max: POOL_SIZE, idleTimeoutMillis: 10_000 });
  const sessionPool = new pg.Pool({ ...base, application_name: `${name}:session`, max: 1 });
  // An idle connection of our own pools that the server ends (a restart) is reported here and
  // replaced on the next checkout; without a listener pg would throw it. A caller's pool keeps
  // whatever listeners its owner gave it.
  if (!given) pool.on('error', () => {});
  sessionPool.on('error', () => {});
  const listenConfig = { ...base, application_name: listenerName };
  return { pool, ownsPool: !given, sessionPool, listenConfig, listener, listenerName };
}
