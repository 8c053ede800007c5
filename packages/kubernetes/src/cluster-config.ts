import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { InvalidArgumentError } from '@baton/core/adapter';
import { type Cluster, type Context, KubeConfig, type User } from '@kubernetes/client-node';
import type { KubernetesUrl } from './url.js';

/** Where Kubernetes mounts a pod's service account: token, ca.crt and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Which cluster, as whom, in which namespace. */
export interface ClusterConfig {
  /** client-node's configuration: the cluster, the credentials (token files, exec plugins...). */
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** The API server's URL, for messages. */
  readonly server: string;
}

/** Where the configuration may come from besides the URL. */
export interface ConfigSources {
  /** A configuration the caller built; the URL may then only name the namespace. */
  readonly client?: KubeConfig;
  /** @default SERVICE_ACCOUNT_DIR */
  readonly serviceAccountDir?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** Whether `value` is client-node's KubeConfig, also from another copy of the package. */
export function isKubeConfig(value: unknown): value is KubeConfig {
  if (value instanceof KubeConfig) return true;
  const candidate = value as { makeApiClient?: unknown; getCurrentCluster?: unknown; applyToHTTPSOptions?: unknown };
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof candidate.makeApiClient === 'function' &&
    typeof candidate.getCurrentCluster === 'function' &&
    typeof candidate.applyToHTTPSOptions === 'function'
  );
}

/**
 * The configuration a `kubernetes://` URL names. Reads files (kubeconfig, service account) but
 * makes no request.
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for a missing or unreadable file, an
 * unknown context, a URL that mixes a given client with a server or kubeconfig, or
 * `kubernetes://` outside a cluster.
 */
export function clusterConfig(url: KubernetesUrl, sources: ConfigSources = {}): ClusterConfig {
  const saDir = sources.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (sources.client !== undefined) {
    if (url.server || url.kubeconfig) {
      throw new InvalidArgumentError(
        'options.client is a configured KubeConfig: the URL may only give ?namespace=, not a server or a kubeconfig',
      );
    }
    return finish(sources.client, url.namespace);
  }
  if (url.kubeconfig !== undefined) return fromKubeconfig(url);
  if (url.server) return fromServer(url, saDir);
  return inCluster(url, saDir, sources.env ?? process.env);
}

function finish(kubeConfig: KubeConfig, namespace: string | undefined, fallbackNamespace?: string): ClusterConfig {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new InvalidArgumentError('the Kubernetes configuration has no current cluster');
  const contextNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  return {
    kubeConfig,
    namespace: namespace ?? contextNamespace ?? fallbackNamespace ?? 'default',
    server: cluster.server,
  };
}

function fromKubeconfig(url: KubernetesUrl): ClusterConfig {
  const path = url.kubeconfig as string;
  const loaded = new KubeConfig();
  try {
    loaded.loadFromFile(path);
  } catch (error) {
    // A parse error may quote the file, and the file holds credentials: name the file only.
    const code = (error as { code?: unknown }).code;
    throw new InvalidArgumentError(
      `cannot read the kubeconfig "${path}"${typeof code === 'string' ? ` (${code})` : ': not a valid kubeconfig'}`,
    );
  }
  if (url.context !== undefined) {
    if (!loaded.getContextObject(url.context)) {
      const known = loaded.getContexts().map((context) => context.name);
      throw new InvalidArgumentError(
        `the kubeconfig "${path}" has no context "${url.context}"; it has: ${known.join(', ') || 'none'}`,
      );
    }
    loaded.setCurrentContext(url.context);
  }
  const current = loaded.getContextObject(loaded.getCurrentContext());
  const cluster = loaded.getCurrentCluster();
  if (!current || !cluster) {
    throw new InvalidArgumentError(`the kubeconfig "${path}" has no current context with a cluster; add ?context=`);
  }
  if (!url.server) return finish(loaded, url.namespace);
  // The same credentials against another address (a proxy, a tunnel, another API server).
  const moved: Cluster = { ...cluster, server: httpsUrl(url.server.host, url.server.port) };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: loaded.clusters.map((entry) => (entry.name === cluster.name ? moved : entry)),
    users: loaded.users,
    contexts: loaded.contexts,
    currentContext: loaded.getCurrentContext(),
  });
  return finish(kubeConfig, url.namespace);
}

function fromServer(url: KubernetesUrl, saDir: string): ClusterConfig {
  const server = url.server as { host: string; port: number };
  // A mounted service account supplies the credentials, as in-cluster; without one the API
  // server sees an anonymous client.
  const token = join(saDir, 'token');
  const ca = join(saDir, 'ca.crt');
  const cluster: Cluster = {
    name: 'baton',
    server: httpsUrl(server.host, server.port),
    skipTLSVerify: false,
    ...(existsSync(ca) ? { caFile: ca } : {}),
  };
  const user: User = existsSync(token)
    ? { name: 'baton', authProvider: { name: 'tokenFile', config: { tokenFile: token } } }
    : { name: 'baton' };
  return finish(load(cluster, user), url.namespace, serviceAccountNamespace(saDir));
}

function inCluster(url: KubernetesUrl, saDir: string, env: NodeJS.ProcessEnv): ClusterConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const token = join(saDir, 'token');
  const missing = [
    ...(host ? [] : ['KUBERNETES_SERVICE_HOST is not set']),
    ...(port ? [] : ['KUBERNETES_SERVICE_PORT is not set']),
    ...(existsSync(token) ? [] : [`no service account token at ${token}`]),
  ];
  if (missing.length > 0 || !host || !port) {
    throw new InvalidArgumentError(
      `kubernetes:// names the cluster this process runs in, but ${missing.join(', ')}; outside a cluster give ?kubeconfig=PATH or host:port`,
    );
  }
  const portNumber = Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65_535) {
    throw new InvalidArgumentError(`KUBERNETES_SERVICE_PORT "${port}" is not a port`);
  }
  // As client-go's InClusterConfig: HTTPS to the Service, the pod's token (re-read as the
  // kubelet rotates it) and the cluster CA from the service account.
  const cluster: Cluster = {
    name: 'in-cluster',
    server: httpsUrl(host, portNumber),
    caFile: join(saDir, 'ca.crt'),
    skipTLSVerify: false,
  };
  const user: User = { name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile: token } } };
  return finish(load(cluster, user), url.namespace, serviceAccountNamespace(saDir));
}

function load(cluster: Cluster, user: User): KubeConfig {
  const context: Context = { name: 'baton', cluster: cluster.name, user: user.name };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({ clusters: [cluster], users: [user], contexts: [context], currentContext: context.name });
  return kubeConfig;
}

function serviceAccountNamespace(saDir: string): string | undefined {
  try {
    const namespace = readFileSync(join(saDir, 'namespace'), 'utf8').trim();
    return namespace === '' ? undefined : namespace;
  } catch {
    return undefined;
  }
}

function httpsUrl(host: string, port: number): string {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  return `https://${isIPv6(bare) ? `[${bare}]` : bare}:${port}`;
}
