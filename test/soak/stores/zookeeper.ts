import { zookeeperHooks } from '../../../packages/zookeeper/test/hooks.js';
import { startServer } from '../../backends/index.js';
import { NO_OUTSIDE_SESSION, SINGLE_SERVER, type SoakStore, serverLevers } from './store.js';

export async function zookeeperStore(ttlMs: number): Promise<SoakStore> {
  const server = await startServer('zookeeper');
  const hooks = zookeeperHooks(`${server.host}:${server.port}`, ttlMs);
  return {
    kind: 'zookeeper',
    urlVia: (addresses) => `zookeeper://${addresses.map((a) => `${a.host}:${a.port}`).join(',')}`,
    ...serverLevers(server),
    outside: { deleteLeaderKey: (election) => hooks.hooks.deleteLeaderKey(election) },
    unsupported: {
      // Ending a session from outside takes its password, which only the leader's process holds.
      'leader-revoked': `${NO_OUTSIDE_SESSION}: expiring a ZooKeeper session takes its password, held only by the leader's process`,
      'member-loss': SINGLE_SERVER,
    },
    regressiveFaults: [],
    restartKeeps: 'data directory kept',
    async stop() {
      await hooks.close();
      await server.stop();
    },
  };
}
