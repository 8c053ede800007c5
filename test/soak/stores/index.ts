import { consulStore } from './consul.js';
import { etcdStore } from './etcd.js';
import { postgresStore } from './postgres.js';
import { redisStore } from './redis.js';
import type { SoakBackend, SoakStore } from './store.js';
import { zookeeperStore } from './zookeeper.js';

export { type Address, SOAK_BACKENDS, type SoakBackend, type SoakStore } from './store.js';

/** Starts a real server of `kind` through the test harness, ready for the nemesis. */
export function startSoakStore(kind: SoakBackend, ttlMs: number): Promise<SoakStore> {
  switch (kind) {
    case 'etcd':
      return etcdStore(ttlMs);
    case 'zookeeper':
      return zookeeperStore(ttlMs);
    case 'consul':
      return consulStore(ttlMs);
    case 'redis':
      return redisStore(ttlMs);
    case 'postgres':
      return postgresStore(ttlMs);
  }
}
