import type { BackendOptions } from '@baton/core/adapter';
import { type BackendFactory, registerAdapter } from '@baton/core/adapter';
import type { Etcd3 } from 'etcd3';
import { type EtcdBackend, openEtcdBackend } from './backend.js';
import { etcdCapabilities } from './capabilities.js';
import { type EtcdUrl, parseEtcdUrl } from './url.js';

export { EtcdBackend } from './backend.js';
export { DEFAULT_MIN_TTL_MS, etcdCapabilities, etcdTtlLimits, TTL_RESOLUTION_MS } from './capabilities.js';
export type { EtcdElection } from './election.js';
export { DEFAULT_ETCD_PORT, DEFAULT_PREFIX, type EtcdUrl, parseEtcdUrl } from './url.js';

/** Registered for `etcd://`; `connect('etcd://...')` from @baton/core finds it. */
export const etcdBackendFactory: BackendFactory<EtcdUrl> = {
  kind: 'etcd',
  schemes: ['etcd'],
  parseUrl: parseEtcdUrl,
  capabilities: (options) => etcdCapabilities(options.ttlMs),
  connect: openEtcdBackend,
};

/** `connect()` options, with the `client` typed: an `Etcd3` client of the `etcd3` package, not namespaced. */
export interface EtcdConnectOptions extends Omit<BackendOptions, 'client'> {
  /**
   * An existing client to use instead of a new one; the backend will not close it. Its own
   * fault-handling settings apply.
   * @default a new client for the URL's hosts
   */
  readonly client?: Etcd3;
}

/**
 * Connects like `connect(url)` from @baton/core, typed for etcd. Importing this package
 * registers `etcd://` for `connect()`.
 * @throws the errors of `connect()`.
 */
export const connectEtcd = registerAdapter<EtcdUrl, EtcdBackend, EtcdConnectOptions>(etcdBackendFactory);
