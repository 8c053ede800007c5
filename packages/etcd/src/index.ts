import { type BackendFactory, registerBackend } from '@baton/core';
import { openEtcdBackend } from './backend.js';
import { etcdCapabilities } from './capabilities.js';
import { parseEtcdUrl } from './url.js';

export { EtcdBackend } from './backend.js';
export { DEFAULT_MIN_TTL_MS, effectiveTtlMs, etcdCapabilities, TTL_RESOLUTION_MS } from './capabilities.js';
export { EtcdElection } from './election.js';
export { candidateKey, electionPrefix } from './keys.js';
export { DEFAULT_ETCD_PORT, DEFAULT_PREFIX, type EtcdUrl, parseEtcdUrl } from './url.js';

/** Registered for `etcd://`; `connect('etcd://...')` from @baton/core finds it. */
export const etcdBackendFactory: BackendFactory = {
  kind: 'etcd',
  schemes: ['etcd'],
  capabilities: (options) => etcdCapabilities(options.ttlMs),
  validateUrl(_url, raw) {
    parseEtcdUrl(raw);
  },
  connect: (_url, raw, options, signal) => openEtcdBackend(parseEtcdUrl(raw), options, signal),
};

registerBackend(etcdBackendFactory);
