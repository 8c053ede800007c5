import { runConformanceSuite } from '@baton/conformance';
import { connect } from '@baton/core';
import '../src/index.js';
import { describeBackend, type ServerHandle, startServer } from '../../../test/backends/index.js';
import { type PostgresHooks, postgresHooks } from './hooks.js';
import { STATS_SETTINGS, urlVia } from './support/settings.js';

const TTL_MS = 2_000;

describeBackend('postgres')('postgres', () => {
  let server: ServerHandle | undefined;
  let hooks: PostgresHooks | undefined;

  runConformanceSuite({
    name: 'postgres',
    async setup() {
      server = await startServer('postgres', STATS_SETTINGS);
      const started = server;
      if (!started.adminUrl) throw new Error('the postgres harness gave no superuser URL');
      hooks = postgresHooks(started.adminUrl, TTL_MS);
      return {
        url: started.url,
        ttlMs: TTL_MS,
        connect: (options) => connect(started.url, { ttlMs: TTL_MS, connectTimeoutMs: 2_000, ...options }),
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        unreachableUrl: 'postgres://app:secret@127.0.0.1:1/app',
        hooks: hooks.hooks,
        faults: {
          storeHost: started.host,
          storePort: started.port,
          urlVia: (host, port) => urlVia(started.url, host, port),
          // A restart keeps the data, as PostgreSQL does: sessions whose ttl ran out meanwhile are expired.
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
