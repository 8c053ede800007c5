import { runConformanceSuite } from '@baton/conformance';
import { connect } from '@baton/core';
import '@baton/zookeeper';
import { describeBackend, type ServerHandle, startServer } from '../backends/index.js';
import { type ZooKeeperHooks, zookeeperHooks } from './hooks/zookeeper.js';

// The harness starts ZooKeeper with tickTime 200 ms, so sessions of 400 ms and up are allowed.
const TTL_MS = 2_000;

describeBackend('zookeeper')('zookeeper', () => {
  let server: ServerHandle | undefined;
  let hooks: ZooKeeperHooks | undefined;

  runConformanceSuite({
    name: 'zookeeper',
    async setup() {
      server = await startServer('zookeeper');
      const started = server;
      hooks = zookeeperHooks(`${started.host}:${started.port}`, TTL_MS);
      return {
        url: started.url,
        ttlMs: TTL_MS,
        // ZooKeeper can expire a session from outside only by first taking it away from its
        // connection (see hooks/zookeeper.ts): under the default policy 'abort' that
        // disconnect would end the leadership as 'connection-lost' before the expiry could be
        // seen. The suite's clients ride out such blips, as most ZooKeeper users configure;
        // packages/zookeeper/test covers 'abort'.
        connect: (options) =>
          connect(started.url, {
            ttlMs: TTL_MS,
            connectTimeoutMs: 2_000,
            onDisconnect: 'tolerate-until-deadline',
            ...options,
          }),
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        unreachableUrl: 'zookeeper://127.0.0.1:1',
        hooks: hooks.hooks,
        faults: {
          storeHost: started.host,
          storePort: started.port,
          urlVia: (host, port) => `zookeeper://${host}:${port}`,
          restartStore: () => started.restart(),
          pauseStore: () => started.pause(),
          resumeStore: () => started.resume(),
        },
      };
    },
    async teardown() {
      await hooks?.close();
      await server?.stop();
    },
  });
});
