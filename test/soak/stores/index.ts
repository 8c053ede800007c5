import { consulStore } from './consul.js';
import { etcdStore } from './etcd.js';
import { kubernetesStore } from './kubernetes.js';
import { postgresStore } from './postgres.js';
import { redisStore } from './redis.js';
import { CLUSTER_BACKENDS, type SoakBackend, type SoakStore } from './store.js';
import { zookeeperStore } from './zookeeper.js';

export { type Address, CLUSTER_BACKENDS, SOAK_BACKENDS, type SoakBackend, type SoakStore } from './store.js';

/** Starts a real server of `kind` (or a cluster) through the test harness, ready for the nemesis. */
export function startSoakStore(kind: SoakBackend, ttlMs: number, cluster = false): Promise<SoakStore> {
  if (cluster && !CLUSTER_BACKENDS.includes(kind)) {
    throw new Error(`--cluster: the harness starts clusters of ${CLUSTER_BACKENDS.join(', ')}, not ${kind}`);
  }
  switch (kind) {
    case 'etcd':
      return etcdStore(ttlMs, cluster);
    case 'zookeeper':
      return zookeeperStore(ttlMs, cluster);
    case 'consul':
      return consulStore(ttlMs, cluster);
    case 'redis':
      return redisStore(ttlMs);
    case 'postgres':
      return postgresStore(ttlMs);
    case 'kubernetes':
      return kubernetesStore(ttlMs);
  }
}
