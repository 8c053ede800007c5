import { runConformanceSuite } from '@baton/conformance';
import { connect } from '@baton/core';
import '@baton/etcd';
import { resolveBackend } from '../backends/availability.js';
import { describeBackend, type ServerHandle, startServer } from '../backends/index.js';
import { type EtcdHooks, etcdHooks } from './hooks/etcd.js';

// etcd's minimum lease ttl with its default election timeout (1 s) is 2 s.
const TTL_MS = 2_000;

describeBackend('etcd')('etcd', () => {
  let server: ServerHandle | undefined;
  let hooks: EtcdHooks | undefined;

  runConformanceSuite({
    name: 'etcd',
    // An etcd given by BATON_ETCD_URL is somebody else's: the suite neither stops nor restarts it.
    ...(resolveBackend('etcd').source === 'env'
      ? { skip: { '13-store-restart': 'the etcd server is external (BATON_ETCD_URL) and cannot be restarted' } }
      : {}),
    async setup() {
      server = await startServer('etcd');
      const started = server;
      hooks = etcdHooks([`http://${started.host}:${started.port}`], TTL_MS);
      return {
        url: started.url,
        ttlMs: TTL_MS,
        connect: (options) => connect(started.url, { ttlMs: TTL_MS, connectTimeoutMs: 2_000, ...options }),
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        unreachableUrl: 'etcd://127.0.0.1:1',
        hooks: hooks.hooks,
        faults: {
          storeHost: started.host,
          storePort: started.port,
          urlVia: (host, port) => `etcd://${host}:${port}`,
          restartStore: () => started.restart(),
          pauseStore: () => started.pause(),
          resumeStore: () => started.resume(),
        },
      };
    },
    async teardown() {
      hooks?.close();
      await server?.stop();
    },
  });
});
