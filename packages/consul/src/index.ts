import type { BackendOptions } from '@baton/core';
import { type BackendFactory, connectWith, registerBackend } from '@baton/core/adapter';
import type { ConsulClientLike } from './api.js';
import { type ConsulBackend, type ConsulBackendOptions, openConsulBackend } from './backend.js';
import { consulCapabilities } from './capabilities.js';
import { type ConsulUrl, parseConsulUrl } from './url.js';

export type { ConsulClientLike } from './api.js';
export { ConsulBackend, type ConsulBackendOptions } from './backend.js';
export {
  consulCapabilities,
  DEFAULT_MIN_TTL_MS,
  MAX_TTL_MS,
  TTL_RESOLUTION_MS,
} from './capabilities.js';
export type { ConsulElection } from './election.js';
export {
  type ConsulUrl,
  DEFAULT_CONSUL_PORT,
  DEFAULT_CONSUL_TLS_PORT,
  DEFAULT_LOCK_DELAY_MS,
  DEFAULT_PREFIX,
  MAX_LOCK_DELAY_MS,
  parseConsulUrl,
} from './url.js';

/** The factory for `consul://` and `consuls://`, with lock-delay, token, dc or prefix given in code. */
function consulFactory(overrides: ConsulBackendOptions = {}): BackendFactory<ConsulUrl> {
  return {
    kind: 'consul',
    schemes: ['consul', 'consuls'],
    parseUrl: parseConsulUrl,
    capabilities: (options, url) => consulCapabilities(options.ttlMs, overrides.lockDelayMs ?? url.lockDelayMs),
    connect: (url, options, signal) => openConsulBackend(url, options, signal, overrides),
  };
}

/** Registered for `consul://` and `consuls://`; `connect('consul://...')` from @baton/core finds it. */
export const consulBackendFactory: BackendFactory<ConsulUrl> = consulFactory();

registerBackend(consulBackendFactory);

/** `connect()` options for Consul: the client typed, and the store's own options in code. */
export interface ConsulConnectOptions extends Omit<BackendOptions, 'client'>, ConsulBackendOptions {
  /**
   * A client of the `consul` package to use instead of new ones; the backend will not close it.
   * @default new clients for the URL's agents
   */
  readonly client?: ConsulClientLike;
}

/**
 * Connects like `connect(url)` from @baton/core, with `ConsulBackendOptions` (lock-delay,
 * token, datacenter, prefix) given in code rather than in the URL.
 * @throws the errors of `connect()`.
 */
export async function connectConsul(url: string, options?: ConsulConnectOptions): Promise<ConsulBackend> {
  const { lockDelayMs, token, dc, prefix, ...common } = options ?? {};
  const overrides: ConsulBackendOptions = {
    ...(lockDelayMs === undefined ? {} : { lockDelayMs }),
    ...(token === undefined ? {} : { token }),
    ...(dc === undefined ? {} : { dc }),
    ...(prefix === undefined ? {} : { prefix }),
  };
  return (await connectWith(consulFactory(overrides), url, common)) as ConsulBackend;
}
