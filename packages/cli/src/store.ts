import { randomUUID } from 'node:crypto';
import { type Backend, type BackendOptions, connect } from '@baton/core';

/**
 * The adapter packages `baton` ships with, by URL scheme. Importing one registers its
 * scheme with @baton/core; doing it here, from the CLI's own dependencies, keeps `connect`
 * from having to resolve them from wherever @baton/core happens to be installed.
 */
const adapters: Readonly<Record<string, () => Promise<unknown>>> = {
  etcd: () => import('@baton/etcd'),
  zookeeper: () => import('@baton/zookeeper'),
  consul: () => import('@baton/consul'),
  consuls: () => import('@baton/consul'),
  redis: () => import('@baton/redis'),
  rediss: () => import('@baton/redis'),
  postgres: () => import('@baton/postgres'),
  postgresql: () => import('@baton/postgres'),
  kubernetes: () => import('@baton/kubernetes'),
};

/**
 * Connects to the store `url` names. Bad input (URL, ttl) fails with ERR_INVALID_ARGUMENT
 * before any round trip; an unknown scheme, with the schemes Baton knows.
 * @throws InvalidArgumentError, BackendUnavailableError, AuthError, AdapterNotInstalledError
 */
export async function openStore(url: string, options: BackendOptions): Promise<Backend> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  const load = scheme === undefined ? undefined : adapters[scheme];
  // A failed import is left for connect() to report, with the package to install.
  if (load) await load().catch(() => undefined);
  return connect(url, options);
}

/**
 * Checks an election name, and a candidate's id and value, by the rules every backend
 * applies, without touching the store: on a private in-process memory store. So a typo
 * is a usage error at once, not after a connect that may take `--connect-timeout`.
 * @throws InvalidArgumentError
 */
export async function checkInput(election: string, candidate?: { id?: string; value?: string }): Promise<void> {
  const probe = await connect(`memory://baton-input-check-${randomUUID()}`);
  try {
    const target = probe.election(election);
    if (candidate?.id !== undefined || candidate?.value !== undefined) {
      const leadership = await target.campaign(candidate);
      await leadership.resign();
    }
  } finally {
    await probe.close();
  }
}

/** The URL without credentials or query, for status lines: `scheme://hosts[/path]`. */
export function displayUrl(url: string): string {
  // Multi-host URLs (etcd://a:2379,b:2379) are not WHATWG-parsable, so this works on the text.
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1').replace(/[?#].*$/, '');
}
