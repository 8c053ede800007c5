import type { BackendOptions } from '@baton/core';
import { registerAdapter } from '@baton/core/adapter';
import { type RedisBackend, redisBackendFactory } from './backend.js';
import type { RedisClient } from './connections.js';
import type { RedisTarget } from './url.js';

export { RedisBackend, redisBackendFactory } from './backend.js';
export { REDIS_TTL_LIMITS, redisCapabilities } from './capabilities.js';
export type { RedisClient } from './connections.js';
export type { RedisElection } from './election.js';
export { DEFAULT_PREFIX } from './keys.js';
export { parseRedisUrl, type RedisTarget } from './url.js';

/** `connect()` options, with the `client` typed: an ioredis `Redis` or `Cluster` client. */
export interface RedisConnectOptions extends Omit<BackendOptions, 'client'> {
  /**
   * A client to send commands through instead of a new one; the backend will not close it.
   * The URL then supplies only the scheme and the key prefix. Pub/sub goes over a duplicate
   * connection the backend owns.
   * @default a new client for the URL's host
   */
  readonly client?: RedisClient;
}

/**
 * Connects like `connect(url)` from @baton/core, typed for Redis. Importing this package
 * registers `redis://` and `rediss://` for `connect()`.
 * @throws the errors of `connect()`.
 */
export const connectRedis = registerAdapter<RedisTarget, RedisBackend, RedisConnectOptions>(redisBackendFactory);
