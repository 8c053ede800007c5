import { zookeeperHooks } from '../../../packages/zookeeper/test/hooks.js';
import { type ServerHandle, startCluster, startServer } from '../../backends/index.js';
import { CLUSTER_SIZE, NO_OUTSIDE_SESSION, type SoakStore, serverLevers, unsupportedMemberLoss } from './store.js';

export async function zookeeperStore(ttlMs: number, cluster: boolean): Promise<SoakStore> {
  const group = cluster ? await startCluster('zookeeper', CLUSTER_SIZE) : undefined;
  const servers: ServerHandle[] = group ? group.members : [await startServer('zookeeper')];
  const hooks = zookeeperHooks(servers.map((server) => `${server.host}:${server.port}`).join(','), ttlMs);
  return {
    kind: 'zookeeper',
    ...serverLevers(servers),
    urlVia: (addresses) => `zookeeper://${addresses.map((a) => `${a.host}:${a.port}`).join(',')}`,
    outside: { deleteLeaderKey: (election) => hooks.hooks.deleteLeaderKey(election) },
    unsupported: {
      // Ending a session from outside takes its password, which only the leader's process holds.
      'leader-revoked': `${NO_OUTSIDE_SESSION}: expiring a ZooKeeper session takes its password, held only by the leader's process`,
      ...unsupportedMemberLoss(servers),
    },
    regressiveFaults: [],
    restartKeeps: 'data directory kept',
    async stop() {
      await hooks.close();
      await (group ?? servers[0])?.stop();
    },
  };
}
