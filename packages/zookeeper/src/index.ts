import {
  assertCapabilities,
  type BackendFactory,
  type BackendOptions,
  BackendUnavailableError,
  redactUrl,
  registerBackend,
  resolveBackendOptions,
} from '@baton/core';
import { openZooKeeperBackend, type ZooKeeperBackend } from './backend.js';
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

/**
 * Connects like `connect(url)` from @baton/core, but also takes a list of servers,
 * `zookeeper://a:2181,b:2181,c:2181/chroot`, which WHATWG URL parsing (and so core's
 * `connect()` today) refuses because it reads `2181,b:2181` as a port.
 */
export async function connectZooKeeper(url: string, options?: BackendOptions): Promise<ZooKeeperBackend> {
  const resolved = resolveBackendOptions(options);
  const parsed = parseZooKeeperUrl(url);
  assertCapabilities('zookeeper', zookeeperCapabilities(resolved.ttlMs), resolved.requires);
  const controller = new AbortController();
  const pending = openZooKeeperBackend(parsed, resolved, controller.signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new BackendUnavailableError(
        `could not connect to ${redactUrl(url)} within ${resolved.connectTimeoutMs} ms`,
      );
      controller.abort(error);
      reject(error);
    }, resolved.connectTimeoutMs);
  });
  try {
    return await Promise.race([pending, timeout]);
  } catch (error) {
    pending.then((backend) => backend.close()).catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
