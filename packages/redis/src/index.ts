import { registerBackend } from '@baton/core';
import { redisBackendFactory } from './backend.js';

export { RedisBackend, type RedisClient, redisBackendFactory } from './backend.js';
export { MIN_TTL_MS, redisCapabilities } from './capabilities.js';
export { RedisElection } from './election.js';
export { DEFAULT_PREFIX, type ElectionEvent, type ElectionKeys, electionKeys, hashSlot } from './keys.js';
export { parseOwner } from './owner.js';
export { parseRedisUrl, type RedisTarget } from './url.js';

registerBackend(redisBackendFactory);
