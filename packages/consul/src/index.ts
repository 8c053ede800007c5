import { type BackendFactory, type BackendOptions, connectWith, registerBackend } from '@baton/core';
import { type ConsulBackend, type ConsulBackendOptions, openConsulBackend } from './backend.js';
import { consulCapabilities } from './capabilities.js';
import { DEFAULT_LOCK_DELAY_MS, parseConsulUrl } from './url.js';

export {
  ConsulApi,
  type ConsulClientLike,
  isConsulClient,
  type KvEntry,
  parseGoDuration,
} from './api.js';
export { ConsulBackend, type ConsulBackendOptions } from './backend.js';
export {
  consulCapabilities,
  DEFAULT_MIN_TTL_MS,
  effectiveTtlMs,
  MAX_TTL_MS,
  TTL_RESOLUTION_MS,
} from './capabilities.js';
export { ConsulElection } from './election.js';
export { decodeRecord, leaderKey, leaderOf, tokenOf } from './keys.js';
export {
  type ConsulUrl,
  DEFAULT_CONSUL_PORT,
  DEFAULT_CONSUL_TLS_PORT,
  DEFAULT_LOCK_DELAY_MS,
  DEFAULT_PREFIX,
  MAX_LOCK_DELAY_MS,
  parseConsulUrl,
  parseLockDelay,
} from './url.js';

/** The factory for `consul://` and `consuls://`, with lock-delay, token, dc or prefix given in code. */
function consulFactory(overrides: ConsulBackendOptions = {}): BackendFactory {
  return {
    kind: 'consul',
    schemes: ['consul', 'consuls'],
    capabilities: (options, raw) =>
      consulCapabilities(
        options.ttlMs,
        overrides.lockDelayMs ?? (raw === undefined ? DEFAULT_LOCK_DELAY_MS : parseConsulUrl(raw).lockDelayMs),
      ),
    validateUrl(_url, raw) {
      parseConsulUrl(raw);
    },
    connect: (_url, raw, options, signal) => openConsulBackend(parseConsulUrl(raw), options, signal, overrides),
  };
}

/** Registered for `consul://` and `consuls://`; `connect('consul://...')` from @baton/core finds it. */
export const consulBackendFactory: BackendFactory = consulFactory();

registerBackend(consulBackendFactory);

/**
 * Connects like `connect(url)` from @baton/core, with `ConsulBackendOptions` (lock-delay,
 * token, datacenter, prefix) given in code rather than in the URL.
 */
export async function connectConsul(
  url: string,
  options?: BackendOptions & ConsulBackendOptions,
): Promise<ConsulBackend> {
  const overrides: ConsulBackendOptions = {
    ...(options?.lockDelayMs === undefined ? {} : { lockDelayMs: options.lockDelayMs }),
    ...(options?.token === undefined ? {} : { token: options.token }),
    ...(options?.dc === undefined ? {} : { dc: options.dc }),
    ...(options?.prefix === undefined ? {} : { prefix: options.prefix }),
  };
  return (await connectWith(consulFactory(overrides), url, options)) as ConsulBackend;
}
