import { INSTALL_HINT, resolveBackend } from './availability.js';
import { startContainer } from './container.js';
import { driverFor } from './drivers.js';
import { externalServer } from './external.js';
import { KubernetesServer } from './kubernetes.js';
import { isPortClash } from './ports.js';
import type { BackendKind, ClusterHandle, ClusterKind, ServerHandle, StartOptions } from './types.js';

const PORT_ATTEMPTS = 3;

/**
 * A free port can be taken by another process between choosing it and the server binding it
 * (test files run in parallel); such a start is retried on fresh ports.
 */
async function withPortRetry<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !isPortClash(error)) throw error;
    }
  }
}

/** A server for one test file: an external one, a local process, or a container, in that order. */
export async function startServer(kind: BackendKind, options: StartOptions = {}): Promise<ServerHandle> {
  const driver = driverFor(kind);
  const resolution = resolveBackend(kind);
  switch (resolution.source) {
    case 'env':
      return externalServer(driver, resolution.url);
    case 'local':
      return withPortRetry(() => driver.startLocal(options));
    case 'container':
      return startContainer(driver, options);
    case 'none':
      throw new Error(`no ${kind} server available (${resolution.how}); install the backends with: ${INSTALL_HINT}`);
  }
}

/** A cluster of local servers; members can be stopped, killed and paused one by one. */
export async function startCluster(kind: ClusterKind, size: number): Promise<ClusterHandle> {
  const driver = driverFor(kind);
  const local = driver.findLocal();
  if (!driver.startLocalCluster || !local.found) {
    throw new Error(
      `startCluster(${kind}) needs a local ${driver.program} (${local.found ? 'no cluster mode' : local.reason}); ` +
        `clusters are not started from ${driver.envVar} or Docker. Install the backends with: ${INSTALL_HINT}`,
    );
  }
  const startLocalCluster = driver.startLocalCluster;
  return withPortRetry(() => startLocalCluster(size));
}

/**
 * A local Kubernetes API server with its credentials (CA, users, kubeconfigs, namespace) for
 * tests that need more than a URL. An external one (BATON_KUBERNETES_URL) has no credentials
 * the harness knows, so it is refused here.
 */
export async function startKubernetes(): Promise<KubernetesServer> {
  const server = await startServer('kubernetes');
  if (server instanceof KubernetesServer) return server;
  await server.stop();
  throw new Error(
    `startKubernetes() needs a local kube-apiserver, not ${server.url}; unset BATON_KUBERNETES_URL, ` +
      `and install it with: ${INSTALL_HINT}`,
  );
}
