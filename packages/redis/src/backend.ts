import {
  BackendBase,
  type BackendFactory,
  BackendUnavailableError,
  type Capabilities,
  grantableTtl,
  type ResolvedBackendOptions,
  ttlInForce,
} from '@baton/core/adapter';
import { Cluster } from 'ioredis';
import { REDIS_TTL_LIMITS, redisCapabilities } from './capabilities.js';
import { type Connections, openConnections, type RedisClient, requestTimeout } from './connections.js';
import type { RedisElectionContext } from './context.js';
import { RedisElection } from './election.js';
import { withoutCredentials } from './errors.js';
import { ChannelHub } from './pubsub.js';
import { RenewalGroup } from './renewal.js';
import { parseRedisUrl, type RedisTarget } from './url.js';

/**
 * A client of one Redis deployment. Its own commands go over `client` (the caller's, when
 * given through `options.client`, which is then never closed here); pub/sub goes over a
 * dedicated duplicate connection this backend owns.
 */
export class RedisBackend extends BackendBase<RedisElection> {
  readonly kind = 'redis';
  readonly capabilities: Capabilities;
  /** The ttl in force: the requested one raised to whole milliseconds (PX), at least 100 ms. */
  readonly ttlMs: number;
  readonly prefix: string;
  /** The database index the keys live in (0 on a Cluster). */
  readonly db: number;
  /** CLIENT SETNAME of the command connection (undefined for a caller's client without one). */
  readonly connectionName: string | undefined;
  /** CLIENT SETNAME of the pub/sub connection, e.g. for `CLIENT LIST` / `CLIENT KILL ID` in tests. */
  readonly subscriberName: string;
  private readonly context: RedisElectionContext;
  private readonly client: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly ownsClient: boolean;
  private readonly cleanups = new Set<Promise<void>>();

  constructor(connections: Connections, prefix: string, options: ResolvedBackendOptions) {
    super();
    this.client = connections.client;
    this.subscriber = connections.subscriber;
    this.ownsClient = connections.ownsClient;
    this.connectionName = connections.connectionName;
    this.subscriberName = connections.subscriberName;
    this.prefix = prefix;
    this.db = connections.db;
    this.ttlMs = options.ttlMs;
    this.capabilities = redisCapabilities(this.ttlMs);
    const requestTimeoutMs = requestTimeout(this.ttlMs);
    this.context = {
      scope: this.scope,
      logger: options.logger,
      ttlMs: this.ttlMs,
      requestTimeoutMs,
      client: this.client,
      hub: new ChannelHub(this.subscriber, requestTimeoutMs, options.logger),
      renewals: new RenewalGroup({
        client: this.client,
        cluster: this.client instanceof Cluster || (this.client as { isCluster?: boolean }).isCluster === true,
        ttlMs: this.ttlMs,
        onDisconnect: options.onDisconnect,
        logger: options.logger,
        label: `redis:${this.subscriberName}`,
      }),
      prefix,
      db: this.db,
      cleanup: (pending) => {
        this.cleanups.add(pending);
        void pending.finally(() => this.cleanups.delete(pending));
      },
    };
    this.client.on('close', this.onConnectionLost);
    this.client.on('end', this.onConnectionLost);
    this.client.on('error', this.onError);
    this.subscriber.on('error', this.onError);
  }

  /** The owner keys this client currently holds as leader (for test hooks and diagnostics). */
  get heldKeys(): string[] {
    return this.context.renewals.heldKeys;
  }

  protected createElection(name: string): RedisElection {
    return new RedisElection(this.context, name);
  }

  protected async finalize(): Promise<void> {
    // Campaigns cut short by the close hand back what they may hold; let them start first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await Promise.allSettled([...this.cleanups]);
    this.context.renewals.stop();
    this.context.hub.close();
    this.client.off('close', this.onConnectionLost);
    this.client.off('end', this.onConnectionLost);
    this.subscriber.disconnect();
    if (this.ownsClient) {
      this.client.disconnect();
    } else {
      this.client.off('error', this.onError);
    }
    // The connections this backend owns keep their error listener: a closing socket can still report one.
  }

  private readonly onConnectionLost = (): void => {
    this.context.renewals.connectionLost(new BackendUnavailableError('the connection to Redis closed'));
  };

  private readonly onError = (error: unknown): void => {
    this.context.logger.debug({ err: withoutCredentials(error) }, 'redis connection error');
  };
}

export const redisBackendFactory: BackendFactory<RedisTarget> = {
  kind: 'redis',
  schemes: ['redis', 'rediss'],
  parseUrl: parseRedisUrl,
  capabilities: (options) => redisCapabilities(grantableTtl(options.ttlMs, REDIS_TTL_LIMITS)),
  async connect(target, options, signal) {
    const ttlMs = ttlInForce('redis', options.ttlMs, REDIS_TTL_LIMITS, options);
    const connections = await openConnections(target, options, signal);
    if (signal.aborted) {
      connections.subscriber.disconnect();
      if (connections.ownsClient) connections.client.disconnect();
      throw signal.reason;
    }
    return new RedisBackend(connections, target.prefix, { ...options, ttlMs });
  },
};
