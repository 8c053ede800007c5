import type { StoreHooks } from '@baton/conformance';
import type { BackendKind, ServerHandle } from '../../../../test/backends/index.js';
import { KubernetesServer } from '../../../../test/backends/index.js';

export const STORE_KINDS: readonly BackendKind[] = ['etcd', 'zookeeper', 'consul', 'redis', 'postgres', 'kubernetes'];

/** The harness's Kubernetes server, which carries the credentials a kubernetes:// URL names. */
function kubernetesServer(server: ServerHandle | undefined): KubernetesServer {
  if (!(server instanceof KubernetesServer)) throw new Error('a kubernetes URL needs the harness KubernetesServer');
  return server;
}

/**
 * The URL of `server`'s store reached at `host:port` (a proxy, or the server itself). Consul's
 * lock-delay (15 s by default) holds a key after a session is invalidated; it would only slow
 * these tests' failovers down, so it is off, which is also the harder case for stopping a
 * command in time. PostgreSQL's URL keeps the server's credentials and database; Kubernetes'
 * names the least-privileged elector user's kubeconfig and is sent to `host:port`.
 */
export function storeUrl(kind: BackendKind, host: string, port: number, server?: ServerHandle): string {
  if (kind === 'postgres') {
    if (!server) throw new Error('a postgres URL needs the server handle (credentials, database)');
    return server.url.replace(/@[^/?#]*/, `@${host}:${port}`);
  }
  if (kind === 'kubernetes') {
    const { elector, namespace } = kubernetesServer(server);
    return `kubernetes://${host}:${port}?${new URLSearchParams({ kubeconfig: elector.kubeconfig, namespace })}`;
  }
  return `${kind}://${host}:${port}${kind === 'consul' ? '?lockDelay=0' : ''}`;
}

/** The conformance suite's hooks for `kind`, which act on the store from outside. */
export async function storeHooks(
  kind: BackendKind,
  host: string,
  port: number,
  ttlMs: number,
  server?: ServerHandle,
): Promise<{ readonly hooks: StoreHooks; close(): Promise<void> }> {
  switch (kind) {
    case 'etcd': {
      const { etcdHooks } = await import('../../../etcd/test/hooks.js');
      const made = etcdHooks([`http://${host}:${port}`], ttlMs);
      return { hooks: made.hooks, close: async () => made.close() };
    }
    case 'zookeeper': {
      const { zookeeperHooks } = await import('../../../zookeeper/test/hooks.js');
      const made = zookeeperHooks(`${host}:${port}`, ttlMs);
      return { hooks: made.hooks, close: async () => void (await made.close()) };
    }
    case 'consul': {
      const { consulHooks } = await import('../../../consul/test/hooks.js');
      return consulHooks(`http://${host}:${port}`, ttlMs);
    }
    case 'redis': {
      const { redisHooks } = await import('../../../redis/test/hooks.js');
      return redisHooks(`redis://${host}:${port}`, ttlMs);
    }
    case 'postgres': {
      if (!server?.adminUrl) throw new Error('the postgres hooks need the server handle (superuser URL)');
      const { postgresHooks } = await import('../../../postgres/test/hooks.js');
      return postgresHooks(server.adminUrl, ttlMs);
    }
    case 'kubernetes': {
      const { kubernetesHooks } = await import('../../../kubernetes/test/hooks.js');
      return { hooks: kubernetesHooks(kubernetesServer(server), ttlMs), close: async () => {} };
    }
    default:
      throw new Error(`the CLI tests do not drive ${kind} yet`);
  }
}
