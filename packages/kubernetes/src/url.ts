import { InvalidArgumentError, redactUrl } from '@baton/core/adapter';

/** The port of `kubernetes://host` without one: the API server's HTTPS port behind the in-cluster Service. */
export const DEFAULT_KUBERNETES_PORT = 443;

/** What a `kubernetes://` URL says. It never holds credentials: those come from a kubeconfig or a service account. */
export interface KubernetesUrl {
  /**
   * The API server to talk to (HTTPS). Without it: the kubeconfig's server, or in-cluster
   * the one `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT` name.
   */
  readonly server?: { readonly host: string; readonly port: number };
  /** A kubeconfig file to take the cluster, the credentials and the default namespace from. */
  readonly kubeconfig?: string;
  /** The kubeconfig's context to use instead of its current one. */
  readonly context?: string;
  /** The namespace of the Lease objects; else the context's, the service account's, or `default`. */
  readonly namespace?: string;
}

const KNOWN_PARAMS = new Set(['namespace', 'kubeconfig', 'context']);
/** A namespace name is a DNS-1123 label. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/;

/**
 * Parses `kubernetes://[host[:port]][?namespace=...&kubeconfig=PATH&context=NAME]`:
 * - `kubernetes://` alone: in-cluster, with the pod's service account, as client libraries do;
 * - `kubernetes://host:port`: that API server over HTTPS, with the service account's token and
 *   CA when one is mounted, or the kubeconfig's credentials when `kubeconfig=` is given (the
 *   kubeconfig's server is then replaced, e.g. to go through a proxy);
 * - `kubernetes://?kubeconfig=PATH[&context=NAME]`: everything from the kubeconfig.
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) naming what is wrong.
 */
export function parseKubernetesUrl(raw: string): KubernetesUrl {
  if (typeof raw !== 'string' || !/^kubernetes:\/\//i.test(raw)) {
    throw new InvalidArgumentError(`"${redactUrl(String(raw))}" is not a kubernetes:// URL`);
  }
  // Every message shows the URL with its credentials masked (a token query parameter among them).
  const shown = redactUrl(raw);
  // Checked first, before any message repeats the URL: the part before "@" may be a token.
  if (/^kubernetes:\/\/[^/?#]*@/i.test(raw)) {
    throw new InvalidArgumentError(
      'a kubernetes:// URL takes no credentials; they come from ?kubeconfig= or the service account',
    );
  }
  if (/\s/.test(raw)) throw new InvalidArgumentError(`"${shown}" contains white space`);
  if (raw.includes('#')) throw new InvalidArgumentError(`"${shown}" has a fragment`);
  const match = /^kubernetes:\/\/([^/?#]*)([^?#]*)(?:\?(.*))?$/i.exec(raw);
  const authority = match?.[1] ?? '';
  const path = match?.[2] ?? '';
  if (path !== '' && path !== '/') {
    throw new InvalidArgumentError(`"${shown}" has a path; give the namespace as ?namespace=...`);
  }
  const params = new URLSearchParams(match?.[3] ?? '');
  for (const key of params.keys()) {
    if (!KNOWN_PARAMS.has(key)) {
      throw new InvalidArgumentError(
        `unknown parameter "${key}" in "${shown}"; known: ${[...KNOWN_PARAMS].join(', ')}`,
      );
    }
    if (params.getAll(key).length > 1)
      throw new InvalidArgumentError(`parameter "${key}" is given twice in "${shown}"`);
  }
  const namespace = nonEmpty(params, 'namespace');
  if (namespace !== undefined && !NAMESPACE.test(namespace)) {
    throw new InvalidArgumentError(
      `namespace "${namespace}" is not a Kubernetes namespace name (1-63 of a-z 0-9 -, starting and ending with a letter or digit)`,
    );
  }
  const kubeconfig = nonEmpty(params, 'kubeconfig');
  const context = nonEmpty(params, 'context');
  if (context !== undefined && kubeconfig === undefined) {
    throw new InvalidArgumentError(`"${shown}" names a context but no kubeconfig; add ?kubeconfig=PATH`);
  }
  const server = authority === '' ? undefined : parseServer(authority, shown);
  return {
    ...(server === undefined ? {} : { server }),
    ...(kubeconfig === undefined ? {} : { kubeconfig }),
    ...(context === undefined ? {} : { context }),
    ...(namespace === undefined ? {} : { namespace }),
  };
}

function nonEmpty(params: URLSearchParams, key: string): string | undefined {
  const value = params.get(key);
  if (value === null) return undefined;
  if (value === '') throw new InvalidArgumentError(`parameter "${key}" must not be empty`);
  return value;
}

function parseServer(authority: string, shown: string): { host: string; port: number } {
  if (authority.includes(',')) {
    throw new InvalidArgumentError(`"${shown}" names several hosts; a kubernetes:// URL names one API server`);
  }
  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority);
  const host = hostPort?.[1] ?? '';
  if (!HOST.test(host)) throw new InvalidArgumentError(`"${host}" is not a host name or address in "${shown}"`);
  const portText = hostPort?.[2];
  const port = portText === undefined ? DEFAULT_KUBERNETES_PORT : Number(portText);
  if (portText === '' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidArgumentError(`port "${portText ?? ''}" out of range in "${shown}"`);
  }
  return { host, port };
}
