import { runConformanceSuite } from '@baton/conformance';
import { connect } from '@baton/core';
import '@baton/consul';
import { describeBackend, type ServerHandle, startCluster, startServer } from '../backends/index.js';
import { type ConsulHooks, consulHooks } from './hooks/consul.js';

// The harness's agent runs with session_ttl_min = "1s" (Consul's default minimum is 10 s).
const TTL_MS = 2_000;
// A short lock-delay keeps the cases where a session is invalidated (6, 7, 11) fast, while
// still making the successor go through the lock-delay retry path; the default is 15 s.
const LOCK_DELAY = '500ms';

describeBackend('consul')('consul', () => {
  let stop: (() => Promise<void>) | undefined;
  let hooks: ConsulHooks | undefined;

  runConformanceSuite({
    name: 'consul',
    async setup() {
      // A one-server cluster rather than a -dev agent: it keeps its raft state on disk, so a
      // restart (case 13) keeps the raft index, and with it the fencing tokens, going up.
      // A -dev agent forgets everything and would hand out smaller tokens after a restart.
      // Clusters need a local consul binary; an external or containerised server is used as is.
      let started: ServerHandle;
      try {
        const cluster = await startCluster('consul', 1);
        stop = () => cluster.stop();
        const member = cluster.members[0];
        if (!member) throw new Error('the consul cluster has no member');
        started = member;
      } catch (error) {
        if (!/needs a local/.test(String(error))) throw error;
        const server = await startServer('consul');
        stop = () => server.stop();
        started = server;
      }
      const url = `${started.url}${started.url.includes('?') ? '&' : '?'}lockDelay=${LOCK_DELAY}`;
      hooks = consulHooks(`http://${started.host}:${started.port}`, TTL_MS);
      return {
        url,
        ttlMs: TTL_MS,
        connect: (options) => connect(url, { ttlMs: TTL_MS, connectTimeoutMs: 2_000, ...options }),
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        unreachableUrl: 'consul://127.0.0.1:1',
        hooks: hooks.hooks,
        faults: {
          storeHost: started.host,
          storePort: started.port,
          urlVia: (host, port) => `consul://${host}:${port}?lockDelay=${LOCK_DELAY}`,
          restartStore: () => started.restart(),
          pauseStore: () => started.pause(),
          resumeStore: () => started.resume(),
        },
      };
    },
    async teardown() {
      await hooks?.close();
      await stop?.();
    },
  });
});
