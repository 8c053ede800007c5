import { etcdHooks } from '../../../packages/etcd/test/hooks.js';
import { startServer } from '../../backends/index.js';
import { SINGLE_SERVER, type SoakStore, serverLevers } from './store.js';

export async function etcdStore(ttlMs: number): Promise<SoakStore> {
  const server = await startServer('etcd');
  const hooks = etcdHooks([`http://${server.host}:${server.port}`], ttlMs);
  return {
    kind: 'etcd',
    ...serverLevers(server),
    urlVia: (addresses) => `etcd://${addresses.map((a) => `${a.host}:${a.port}`).join(',')}`,
    outside: {
      deleteLeaderKey: (election) => hooks.hooks.deleteLeaderKey(election),
      // The lease of the leader's key: revoking it ends the leader's client session (every key on it).
      revokeLeader: (election) => hooks.revokeLeaderLease(election),
    },
    unsupported: { 'member-loss': SINGLE_SERVER },
    // Restarts keep the data directory; only a snapshot restore without --bump-revision regresses.
    regressiveFaults: [],
    restartKeeps: 'data directory kept',
    async stop() {
      hooks.close();
      await server.stop();
    },
  };
}
