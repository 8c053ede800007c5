import { runConformanceSuite } from '@baton/conformance';
import { connect } from '@baton/core';
import '../src/index.js';
import { describeBackend, type KubernetesServer, startKubernetes } from '../../../test/backends/index.js';
import { kubernetesHooks } from './hooks.js';

// Whole seconds (leaseDurationSeconds). Every held Lease is updated every ttl/3: case
// 15-many-elections holds 200, i.e. 150 updates/s at 4 s, within what the API server and its
// etcd serve on a busy 2-core machine (about 200/s); at 2 s it would need 300/s.
const TTL_MS = 4_000;

describeBackend('kubernetes')('kubernetes', () => {
  let server: KubernetesServer | undefined;

  runConformanceSuite({
    name: 'kubernetes',
    async setup() {
      server = await startKubernetes();
      const started = server;
      // Every client of the suite, in this process and in the candidate processes, runs as the
      // elector user: only the Role the README asks for (get, list, watch, create, update on
      // Leases in one namespace). The admin user is for the hooks, which act from outside.
      const kubeconfig = started.elector.kubeconfig;
      const via = (host: string, port: number) =>
        `kubernetes://${host}:${port}?${new URLSearchParams({ kubeconfig, namespace: started.namespace })}`;
      const url = started.kubeconfigUrl(started.elector);
      return {
        url,
        ttlMs: TTL_MS,
        connect: (options) => connect(url, { ttlMs: TTL_MS, connectTimeoutMs: 5_000, ...options }),
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        unreachableUrl: via('127.0.0.1', 1),
        hooks: kubernetesHooks(started, TTL_MS),
        // One update per held Lease per renewal: Kubernetes has no write that changes several
        // objects, and client-go's observers judge every Lease by its own record.
        renewals: 'per-election',
        faults: {
          storeHost: started.host,
          storePort: started.port,
          // The elector's credentials and CA, sent to another address (the fault proxy).
          urlVia: via,
          restartStore: () => started.restart(),
          pauseStore: () => started.pause(),
          resumeStore: () => started.resume(),
        },
      };
    },
    async teardown() {
      await server?.stop();
    },
  });
});
