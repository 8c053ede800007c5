import { redisHooks } from '../../../packages/redis/test/hooks.js';
import { startServer } from '../../backends/index.js';
import { NO_CLUSTER, NO_OUTSIDE_SESSION, type SoakStore, serverLevers } from './store.js';

export async function redisStore(ttlMs: number): Promise<SoakStore> {
  // Without persistence (the harness default): a restart loses every key and counter, the case
  // where a leader under 'tolerate-until-deadline' can outlive its key.
  const server = await startServer('redis');
  const hooks = redisHooks(server.url, ttlMs);
  return {
    kind: 'redis',
    urlVia: ([address]) => {
      if (!address) throw new Error('redis takes one address');
      return `redis://${address.host}:${address.port}`;
    },
    ...serverLevers([server], true),
    outside: { deleteLeaderKey: (election) => hooks.hooks.deleteLeaderKey(election) },
    unsupported: {
      'leader-revoked': `${NO_OUTSIDE_SESSION}: a Redis leader holds only its key, which leader-key-deleted removes`,
      'member-loss': NO_CLUSTER,
    },
    // The counter is floored by the server's clock, which is not set back here.
    regressiveFaults: [],
    restartKeeps: 'nothing (no persistence: every key and counter lost)',
    async stop() {
      await hooks.close();
      await server.stop();
    },
  };
}
