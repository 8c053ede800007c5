import { etcdHooks } from '../../../packages/etcd/test/hooks.js';
import { type ServerHandle, startCluster, startServer } from '../../backends/index.js';
import { CLUSTER_SIZE, type SoakStore, serverLevers, unsupportedMemberLoss } from './store.js';

export async function etcdStore(ttlMs: number, cluster: boolean): Promise<SoakStore> {
  const group = cluster ? await startCluster('etcd', CLUSTER_SIZE) : undefined;
  const servers: ServerHandle[] = group ? group.members : [await startServer('etcd')];
  const hooks = etcdHooks(
    servers.map((server) => `http://${server.host}:${server.port}`),
    ttlMs,
  );
  return {
    kind: 'etcd',
    ...serverLevers(servers),
    urlVia: (addresses) => `etcd://${addresses.map((a) => `${a.host}:${a.port}`).join(',')}`,
    outside: {
      deleteLeaderKey: (election) => hooks.hooks.deleteLeaderKey(election),
      // The lease of the leader's key: revoking it ends the leader's client session (every key on it).
      revokeLeader: (election) => hooks.revokeLeaderLease(election),
    },
    unsupported: unsupportedMemberLoss(servers),
    // Restarts keep the data directory; only a snapshot restore without --bump-revision regresses.
    regressiveFaults: [],
    restartKeeps: 'data directory kept',
    async stop() {
      hooks.close();
      await (group ?? servers[0])?.stop();
    },
  };
}
