import { kubernetesHooks } from '../../../packages/kubernetes/test/hooks.js';
import { startKubernetes } from '../../backends/index.js';
import { NO_CLUSTER, NO_OUTSIDE_SESSION, type SoakStore, serverLevers } from './store.js';

export async function kubernetesStore(ttlMs: number): Promise<SoakStore> {
  // An API server on an etcd of its own. The candidates run as the least-privileged elector user;
  // the outside actions as the admin user. A restart or freeze acts on the API server: the Leases
  // live in its etcd, which keeps running.
  const server = await startKubernetes();
  const hooks = kubernetesHooks(server, ttlMs);
  const query = new URLSearchParams({ kubeconfig: server.elector.kubeconfig, namespace: server.namespace });
  return {
    kind: 'kubernetes',
    ...serverLevers([server]),
    // The elector's credentials and CA, sent to another address (its proxy, on 127.0.0.1 too).
    urlVia: ([address]) => {
      if (!address) throw new Error('kubernetes takes one address');
      return `kubernetes://${address.host}:${address.port}?${query}`;
    },
    outside: { deleteLeaderKey: (election) => hooks.deleteLeaderKey(election) },
    unsupported: {
      'leader-revoked': `${NO_OUTSIDE_SESSION}: a Lease is the whole of a leadership, which leader-key-deleted removes`,
      'member-loss': NO_CLUSTER,
    },
    // Leases keep etcd's revisions through an API server restart.
    regressiveFaults: [],
    restartKeeps: 'the API server restarts; its etcd, where the Leases live, runs on',
    stop: () => server.stop(),
  };
}
