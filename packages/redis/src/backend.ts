import { randomUUID } from 'node:crypto';
import {
  type Backend,
  type BackendFactory,
  BackendUnavailableError,
  type Capabilities,
  ClientScope,
  type Election,
  InvalidArgumentError,
  type Logger,
  type ResolvedBackendOptions,
  redactUrl,
  validateElectionName,
} from '@baton/core';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { MIN_TTL_MS, redisCapabilities } from './capabilities.js';
import { RedisElection } from './election.js';
import { connectError } from './errors.js';
import { ChannelHub } from './pubsub.js';
import { RenewalGroup } from './renewal.js';
import { parseRedisUrl, type RedisTarget } from './url.js';

/** An ioredis client: a single node (`Redis`) or a `Cluster`. */
export type RedisClient = Redis | Cluster;

interface Connections {
  readonly client: RedisClient;
  /** The database the client selects, for keyspace channels. */
  readonly db: number;
  readonly subscriber: RedisClient;
  readonly ownsClient: boolean;
  readonly connectionName: string | undefined;
  readonly subscriberName: string;
}

/**
 * A client of one Redis deployment. Its own commands go over `client` (the caller's, when
 * given through `options.client`, which is then never closed here); pub/sub goes over a
 * dedicated duplicate connection this backend owns.
 */
export class RedisBackend implements Backend {
  readonly kind = 'redis';
  readonly capabilities: Capabilities;
  /** The ttl in force: the requested one rounded up to whole milliseconds (PX). */
  readonly ttlMs: number;
  readonly prefix: string;
  /** The database index the keys live in (0 on a Cluster). */
  readonly db: number;
  readonly logger: Logger;
  readonly scope = new ClientScope();
  readonly client: RedisClient;
  readonly hub: ChannelHub;
  readonly renewals: RenewalGroup;
  /** Bound on every round trip this backend makes. */
  readonly requestTimeoutMs: number;
  /** CLIENT SETNAME of the command connection (undefined for a caller's client without one). */
  readonly connectionName: string | undefined;
  /** CLIENT SETNAME of the pub/sub connection, e.g. for `CLIENT LIST` / `CLIENT KILL ID` in tests. */
  readonly subscriberName: string;
  private readonly subscriber: RedisClient;
  private readonly ownsClient: boolean;
  private readonly cleanups = new Set<Promise<void>>();

  constructor(connections: Connections, prefix: string, options: ResolvedBackendOptions) {
    this.client = connections.client;
    this.subscriber = connections.subscriber;
    this.ownsClient = connections.ownsClient;
    this.connectionName = connections.connectionName;
    this.subscriberName = connections.subscriberName;
    this.prefix = prefix;
    this.db = connections.db;
    this.ttlMs = Math.ceil(options.ttlMs);
    this.logger = options.logger;
    this.capabilities = redisCapabilities(this.ttlMs);
    this.requestTimeoutMs = requestTimeout(this.ttlMs);
    this.hub = new ChannelHub(this.subscriber, this.requestTimeoutMs, this.logger);
    this.renewals = new RenewalGroup({
      client: this.client,
      cluster: this.client instanceof Cluster || (this.client as { isCluster?: boolean }).isCluster === true,
      ttlMs: this.ttlMs,
      onDisconnect: options.onDisconnect,
      logger: this.logger,
      label: `redis:${this.subscriberName}`,
    });
    this.client.on('close', this.onConnectionLost);
    this.client.on('end', this.onConnectionLost);
    this.client.on('error', this.onError);
    this.subscriber.on('error', this.onError);
  }

  /** The owner keys this client currently holds as leader (for test hooks and diagnostics). */
  get heldKeys(): string[] {
    return this.renewals.heldKeys;
  }

  election(name: string): Election {
    validateElectionName(name);
    this.scope.assertOpen();
    return new RedisElection(this, name);
  }

  /** Keeps a best-effort release (of a campaign given up) so that close() lets it finish before disconnecting. */
  cleanup(pending: Promise<void>): void {
    this.cleanups.add(pending);
    void pending.finally(() => this.cleanups.delete(pending));
  }

  close(): Promise<void> {
    return this.scope.close(async () => {
      // Campaigns cut short by the close hand back what they may hold; let them start first.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await Promise.allSettled([...this.cleanups]);
      this.renewals.stop();
      this.hub.close();
      this.client.off('close', this.onConnectionLost);
      this.client.off('end', this.onConnectionLost);
      this.subscriber.disconnect();
      if (this.ownsClient) {
        this.client.disconnect();
      } else {
        this.client.off('error', this.onError);
      }
      // The connections this backend owns keep their error listener: a closing socket can still report one.
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private readonly onConnectionLost = (): void => {
    this.renewals.connectionLost(new BackendUnavailableError('the connection to Redis closed'));
  };

  private readonly onError = (error: unknown): void => {
    this.logger.debug({ err: error }, 'redis connection error');
  };
}

/** Long enough for a busy server, short enough that nothing waits past a lease. */
function requestTimeout(ttlMs: number): number {
  return Math.min(10_000, Math.max(1_000, ttlMs));
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

function isRedisClient(value: unknown): value is RedisClient {
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

async function openConnections(
  target: RedisTarget,
  raw: string,
  options: ResolvedBackendOptions,
  signal: AbortSignal,
): Promise<Connections> {
  const where = redactUrl(raw);
  const name = `baton:${randomUUID().slice(0, 12)}`;
  const subscriberName = `${name}:sub`;
  const timeoutMs = requestTimeout(Math.ceil(options.ttlMs));
  const given = options.client;
  if (given !== undefined && !isRedisClient(given)) {
    throw new InvalidArgumentError('options.client must be an ioredis Redis or Cluster client');
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

export const redisBackendFactory: BackendFactory = {
  kind: 'redis',
  schemes: ['redis', 'rediss'],
  capabilities: (options) => redisCapabilities(Math.ceil(options.ttlMs)),
  validateUrl(url, raw) {
    parseRedisUrl(url, raw);
  },
  async connect(url, raw, options, signal) {
    if (options.ttlMs < MIN_TTL_MS) {
      throw new InvalidArgumentError(`ttlMs must be at least ${MIN_TTL_MS} ms on Redis, got ${options.ttlMs}`);
    }
    const target = parseRedisUrl(url, raw);
    const connections = await openConnections(target, raw, options, signal);
    if (signal.aborted) {
      connections.subscriber.disconnect();
      if (connections.ownsClient) connections.client.disconnect();
      throw signal.reason;
    }
    return new RedisBackend(connections, target.prefix, options);
  },
};
