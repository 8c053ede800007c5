import { runConformanceSuite } from '@baton/conformance';
import { connect } from '@baton/core';
import '@baton/redis';
import { describeBackend, type ServerHandle, startServer } from '../backends/index.js';
import { type RedisHooks, redisHooks } from './hooks/redis.js';

const TTL_MS = 2_000;
let server: ServerHandle | undefined;
let hooks: RedisHooks | undefined;

describeBackend('redis')('redis', () => {
  runConformanceSuite({
    name: 'redis',
    async setup() {
      server = await startServer('redis');
      const { url, host, port } = server;
      hooks = redisHooks(url, TTL_MS);
      // The suite runs against Redis's default configuration (no keyspace notifications):
      // the adapter must keep the contract without them. packages/redis/test covers the
      // faster path with `notify-keyspace-events` on.
      return {
        url,
        ttlMs: TTL_MS,
        connect: (options) => connect(url, { ttlMs: TTL_MS, connectTimeoutMs: 2_000, ...options }),
        unreachableUrl: 'redis://127.0.0.1:1',
        hooks: hooks.hooks,
        faults: {
          storeHost: host,
          storePort: port,
          urlVia: (viaHost, viaPort) => `redis://${viaHost}:${viaPort}`,
          async restartStore() {
            const restarted = server;
            if (!restarted) throw new Error('no server');
            // Without persistence (the harness default), as a crash would: every key and counter is gone.
            await restarted.restart({ wipe: true });
          },
          pauseStore: () => (server as ServerHandle).pause(),
          resumeStore: () => (server as ServerHandle).resume(),
        },
      };
    },
    async teardown() {
      await hooks?.close();
      await server?.stop();
    },
  });
});
