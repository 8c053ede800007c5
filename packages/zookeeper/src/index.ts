import type { BackendOptions } from '@baton/core';
import { type BackendFactory, registerAdapter } from '@baton/core/adapter';
import type ZooKeeperClient from 'zookeeper';
import { openZooKeeperBackend, type ZooKeeperBackend } from './backend.js';
import { zookeeperCapabilities } from './capabilities.js';
import { parseZooKeeperUrl, type ZooKeeperUrl } from './url.js';

export { ZooKeeperBackend } from './backend.js';
export {
  DEFAULT_MAX_SESSION_TIMEOUT_MS,
  DEFAULT_MIN_SESSION_TIMEOUT_MS,
  zookeeperCapabilities,
} from './capabilities.js';
export type { ZooKeeperElection } from './election.js';
export { DEFAULT_ZOOKEEPER_PORT, parseZooKeeperUrl, type ZooKeeperUrl } from './url.js';

/** Registered for `zookeeper://`; `connect('zookeeper://...')` from @baton/core finds it. */
export const zookeeperBackendFactory: BackendFactory<ZooKeeperUrl> = {
  kind: 'zookeeper',
  schemes: ['zookeeper'],
  parseUrl: parseZooKeeperUrl,
  capabilities: (options) => zookeeperCapabilities(options.ttlMs),
  connect: openZooKeeperBackend,
};

/** `connect()` options, with the `client` typed: a client of the `zookeeper` package (its promise API). */
export interface ZooKeeperConnectOptions extends Omit<BackendOptions, 'client'> {
  /**
   * A `zookeeper` package client to use for the first session instead of a new one; the
   * backend deletes its own nodes on it but does not close it. Connected or still connecting.
   * @default a new client for the URL's hosts
   */
  readonly client?: ZooKeeperClient;
}

/**
 * Connects like `connect(url)` from @baton/core, typed for ZooKeeper. Importing this
 * package registers `zookeeper://` for `connect()`.
 * @throws the errors of `connect()`.
 */
export const connectZooKeeper = registerAdapter<ZooKeeperUrl, ZooKeeperBackend, ZooKeeperConnectOptions>(
  zookeeperBackendFactory,
);
