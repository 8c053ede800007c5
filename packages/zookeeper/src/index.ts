import { type BackendFactory, registerBackend } from '@baton/core';
import { openZooKeeperBackend } from './backend.js';
import { zookeeperCapabilities } from './capabilities.js';
import { parseZooKeeperUrl } from './url.js';

export { ZooKeeperBackend } from './backend.js';
export {
  DEFAULT_MAX_SESSION_TIMEOUT_MS,
  DEFAULT_MIN_SESSION_TIMEOUT_MS,
  zookeeperCapabilities,
} from './capabilities.js';
export type { ConnectionEnd } from './connection.js';
export { ZooKeeperElection } from './election.js';
export { candidatePrefix, decodeRecord, electionPath, inLineOrder, NODE_PREFIX, ROOT, sequenceOf } from './paths.js';
export { DEFAULT_ZOOKEEPER_PORT, parseZooKeeperUrl, type ZooKeeperUrl } from './url.js';

/** Registered for `zookeeper://`; `connect('zookeeper://...')` from @baton/core finds it. */
export const zookeeperBackendFactory: BackendFactory = {
  kind: 'zookeeper',
  schemes: ['zookeeper'],
  capabilities: (options) => zookeeperCapabilities(options.ttlMs),
  validateUrl(_url, raw) {
    parseZooKeeperUrl(raw);
  },
  connect: (_url, raw, options, signal) => openZooKeeperBackend(parseZooKeeperUrl(raw), options, signal),
};

registerBackend(zookeeperBackendFactory);
