import { DEFAULT_SCHEMA, quoteSchema } from '../../../packages/postgres/src/schema.js';
import { postgresHooks } from '../../../packages/postgres/test/hooks.js';
import { urlVia } from '../../../packages/postgres/test/support/settings.js';
import { startServer } from '../../backends/index.js';
import { NO_CLUSTER, type SoakStore, serverLevers } from './store.js';

export async function postgresStore(ttlMs: number): Promise<SoakStore> {
  const server = await startServer('postgres');
  if (!server.adminUrl) throw new Error('the postgres harness gave no superuser URL');
  const hooks = postgresHooks(server.adminUrl, ttlMs);
  const s = quoteSchema(DEFAULT_SCHEMA);
  return {
    kind: 'postgres',
    urlVia: ([address]) => {
      if (!address) throw new Error('postgres takes one address');
      return urlVia(server.url, address.host, address.port);
    },
    ...serverLevers([server]),
    outside: {
      deleteLeaderKey: (election) => hooks.hooks.deleteLeaderKey(election),
      // The leader's session (the row with the lowest token holds it) expires by the server's
      // clock now: what its ttl running out would do.
      async revokeLeader(election) {
        const { rowCount } = await hooks.admin.query(
          `UPDATE ${s}.session SET expires_at = clock_timestamp() - interval '1 ms'
           WHERE id = (SELECT session_id FROM ${s}.candidate WHERE election = $1 ORDER BY token LIMIT 1)`,
          [election],
        );
        if (rowCount !== 1) throw new Error(`election ${election} has no leader row`);
      },
    },
    unsupported: { 'member-loss': NO_CLUSTER },
    regressiveFaults: [],
    restartKeeps: 'data kept (fast shutdown and start)',
    async stop() {
      await hooks.close();
      await server.stop();
    },
  };
}
