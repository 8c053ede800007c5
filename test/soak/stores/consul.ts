import { leaderKey } from '../../../packages/consul/src/keys.js';
import { DEFAULT_PREFIX } from '../../../packages/consul/src/url.js';
import { consulHooks } from '../../../packages/consul/test/hooks.js';
import { startCluster } from '../../backends/index.js';
import { CLUSTER_SIZE, type SoakStore, serverLevers, unsupportedMemberLoss } from './store.js';

/** As in the conformance run: short enough to keep failovers after an invalidated session fast. */
const LOCK_DELAY = '500ms';

export async function consulStore(ttlMs: number, clustered: boolean): Promise<SoakStore> {
  // Even one server runs as a cluster rather than a -dev agent, as the conformance run does: it
  // keeps its raft state on disk, so a restart keeps the raft index (the fencing token) going up.
  const cluster = await startCluster('consul', clustered ? CLUSTER_SIZE : 1);
  const servers = cluster.members;
  const [server] = servers;
  if (!server) throw new Error('the consul cluster has no member');
  // The outside calls go to the first member; the nemesis makes them only with every member up.
  const api = `http://${server.host}:${server.port}/v1`;
  const hooks = consulHooks(`http://${server.host}:${server.port}`, ttlMs);
  const call = async (method: string, path: string): Promise<unknown> => {
    const response = await fetch(`${api}${path}`, { method, signal: AbortSignal.timeout(5_000) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };
  return {
    kind: 'consul',
    urlVia: (addresses) => `consul://${addresses.map((a) => `${a.host}:${a.port}`).join(',')}?lockDelay=${LOCK_DELAY}`,
    ...serverLevers(servers),
    outside: {
      deleteLeaderKey: (election) => hooks.hooks.deleteLeaderKey(election),
      // Destroying the session that holds the key: what its invalidation does (the key is
      // released, under the session's lock-delay).
      async revokeLeader(election) {
        const entries = (await call('GET', `/kv/${leaderKey(DEFAULT_PREFIX, election)}`)) as { Session?: string }[];
        const session = entries[0]?.Session;
        if (!session) throw new Error(`election ${election} has no key held by a session`);
        await call('PUT', `/session/destroy/${session}`);
      },
    },
    unsupported: unsupportedMemberLoss(servers),
    regressiveFaults: [],
    restartKeeps: 'raft state kept (a one-server cluster, not -dev)',
    async stop() {
      await hooks.close();
      await cluster.stop();
    },
  };
}
