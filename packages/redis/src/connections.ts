import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, type ResolvedBackendOptions, requestTimeoutFor } from '@baton/core/adapter';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { connectError } from './errors.js';
import type { RedisTarget } from './url.js';

/** An ioredis client: a single node (`Redis`) or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** The two connections a backend talks through. */
export interface Connections {
  readonly client: RedisClient;
  /** The database the client selects, for keyspace channels. */
  readonly db: number;
  readonly subscriber: RedisClient;
  readonly ownsClient: boolean;
  readonly connectionName: string | undefined;
  readonly subscriberName: string;
}

/** Long enough for a busy server, short enough that nothing waits past a lease. */
export function requestTimeout(ttlMs: number): number {
  return requestTimeoutFor(ttlMs, { maxMs: 10_000 });
}

/** Reconnect quickly at first, then every ~2 s, forever: an election recovers without a restart of the client. */
function retryStrategy(times: number): number {
  return Math.min(2_000, 50 * 2 ** Math.min(times, 6)) * (0.5 + Math.random() * 0.5);
}

/**
 * Connection options chosen for leases rather than throughput:
 * - enableOfflineQueue false: a command issued while disconnected fails at once instead of
 *   running minutes later (a queued acquire could take a lock its caller gave up on);
 * - autoResendUnfulfilledCommands false, maxRetriesPerRequest 0: a command whose connection
 *   dropped is rejected (its outcome is unknown), never silently replayed;
 * - commandTimeout: no round trip outlives the request timeout;
 * - autoResubscribe false: ChannelHub resubscribes itself and makes observers re-read.
 */
function leaseSafeOptions(timeoutMs: number, connectionName: string): RedisOptions {
  return {
    connectionName,
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    autoResubscribe: false,
    retryStrategy,
  };
}

export function isRedisClient(value: unknown): value is RedisClient {
  if (value instanceof Redis || value instanceof Cluster) return true;
  const candidate = value as { call?: unknown; duplicate?: unknown; on?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.call === 'function' &&
    typeof candidate.duplicate === 'function' &&
    typeof candidate.on === 'function'
  );
}

/** Resolves once `client` is ready; maps a refusal of credentials to AuthError, anything else to BackendUnavailableError. */
async function untilReady(client: RedisClient, signal: AbortSignal, where: string): Promise<void> {
  if (client.status === 'ready') return;
  let lastError: unknown;
  const onError = (error: unknown): void => {
    lastError = error;
  };
  let onAbort: (() => void) | undefined;
  client.on('error', onError);
  try {
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    const ready =
      client.status === 'wait'
        ? client.connect()
        : new Promise<void>((resolve, reject) => {
            client.once('ready', resolve);
            client.once('end', () => reject(new Error('the connection ended')));
          });
    ready.catch(() => undefined);
    await Promise.race([ready, aborted]);
  } catch (error) {
    throw connectError(lastError ?? error, where);
  } finally {
    client.off('error', onError);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

export async function openConnections(
  target: RedisTarget,
  options: ResolvedBackendOptions,
  signal: AbortSignal,
): Promise<Connections> {
  const given = options.client;
  // Errors name what was really dialled: a caller's client has its own address, not the URL's.
  const where = given === undefined ? target.redacted : `options.client (${addressOf(given)})`;
  const name = `baton:${randomUUID().slice(0, 12)}`;
  const subscriberName = `${name}:sub`;
  const timeoutMs = requestTimeout(Math.ceil(options.ttlMs));
  if (given !== undefined && !isRedisClient(given)) {
    throw new InvalidArgumentError('options.client must be an ioredis Redis or Cluster client');
  }
  if (given === undefined && target.host === '') {
    throw new InvalidArgumentError(`"${where}" names no host; name one, or pass your client as options.client`);
  }
  if (given?.status === 'end') {
    // ioredis never reconnects a client after quit() or disconnect(): waiting would only time out.
    throw new InvalidArgumentError('options.client is closed (quit() or disconnect() was called on it)');
  }
  let client: RedisClient;
  let subscriber: RedisClient;
  if (given) {
    client = given;
    const overrides = leaseSafeOptions(timeoutMs, subscriberName);
    subscriber =
      given instanceof Cluster || (given as { isCluster?: boolean }).isCluster === true
        ? (given as Cluster).duplicate([], {
            lazyConnect: true,
            enableOfflineQueue: false,
            autoResendUnfulfilledCommands: false,
            redisOptions: { ...(given as Cluster).options.redisOptions, ...overrides },
          })
        : (given as Redis).duplicate(overrides);
  } else {
    const base: RedisOptions = {
      ...leaseSafeOptions(timeoutMs, `${name}:cmd`),
      host: target.host,
      port: target.port,
      db: target.db,
      connectTimeout: options.connectTimeoutMs,
      ...(target.username === undefined ? {} : { username: target.username }),
      ...(target.password === undefined ? {} : { password: target.password }),
      ...(target.tls ? { tls: { servername: target.host } } : {}),
    };
    client = new Redis(base);
    subscriber = new Redis({ ...base, connectionName: subscriberName });
  }
  // Until the backend takes them over, their errors are ours to swallow (and report once).
  const quiet = (): void => {};
  client.on('error', quiet);
  subscriber.on('error', quiet);
  try {
    await untilReady(client, signal, where);
    await untilReady(subscriber, signal, where);
    if (!given && target.db !== 0) await checkDatabase(client, target.db, where);
  } catch (error) {
    subscriber.disconnect();
    if (!given) client.disconnect();
    throw error;
  } finally {
    client.off('error', quiet);
    subscriber.off('error', quiet);
  }
  const givenDb = (given as { options?: { db?: unknown } } | undefined)?.options?.db;
  return {
    client,
    db: given ? (typeof givenDb === 'number' ? givenDb : 0) : target.db,
    subscriber,
    ownsClient: !given,
    connectionName: given ? undefined : `${name}:cmd`,
    subscriberName,
  };
}

/** host:port of a caller's client, or "a cluster"; never its credentials. */
function addressOf(client: unknown): string {
  if (client instanceof Cluster || (client as { isCluster?: boolean }).isCluster === true) return 'a cluster';
  const { host, port } = (client as { options?: { host?: unknown; port?: unknown } }).options ?? {};
  return typeof host === 'string' ? `${host}:${String(port ?? 6379)}` : 'an ioredis client';
}

/**
 * ioredis reports a failed SELECT of the URL's database only as an 'error' event and goes on
 * in database 0; an explicit SELECT makes a database the server does not have a refusal.
 */
async function checkDatabase(client: RedisClient, db: number, where: string): Promise<void> {
  try {
    await (client as Redis).select(db);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/out of range|invalid DB index/i.test(message)) {
      throw new InvalidArgumentError(`database ${db} of "${where}" does not exist on the server: ${message}`, {
        cause: error,
      });
    }
    throw connectError(error, where);
  }
}
