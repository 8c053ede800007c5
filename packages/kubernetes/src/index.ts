import type { BackendOptions } from '@baton/core';
import { type BackendFactory, registerAdapter } from '@baton/core/adapter';
import type { KubeConfig } from '@kubernetes/client-node';
import { type KubernetesBackend, openKubernetesBackend } from './backend.js';
import { kubernetesCapabilities } from './capabilities.js';
import { type KubernetesUrl, parseKubernetesUrl } from './url.js';

export { KubernetesBackend } from './backend.js';
export { KUBERNETES_TTL_LIMITS, kubernetesCapabilities } from './capabilities.js';
export { SERVICE_ACCOUNT_DIR } from './cluster-config.js';
export type { KubernetesElection } from './election.js';
export { leaseNameOf } from './lease-name.js';
export { ELECTION_ANNOTATION, LEADER_ANNOTATION } from './lease-record.js';
export { DEFAULT_KUBERNETES_PORT, type KubernetesUrl, parseKubernetesUrl } from './url.js';

/** Registered for `kubernetes://`; `connect('kubernetes://...')` from @baton/core finds it. */
export const kubernetesBackendFactory: BackendFactory<KubernetesUrl> = {
  kind: 'kubernetes',
  schemes: ['kubernetes'],
  parseUrl: parseKubernetesUrl,
  capabilities: (options) => kubernetesCapabilities(options.ttlMs),
  connect: (url, options, signal) => openKubernetesBackend(url, options, signal),
};

/** `connect()` options, with the `client` typed: a configured KubeConfig of @kubernetes/client-node. */
export interface KubernetesConnectOptions extends Omit<BackendOptions, 'client'> {
  /**
   * A configured `KubeConfig` (its cluster, credentials and context) to use instead of what
   * the URL names; the URL may then give only `?namespace=` (`kubernetes://?namespace=apps`),
   * else the context's namespace applies. Calls go through a keep-alive agent of the backend's
   * own, with the KubeConfig's TLS settings and credentials.
   * @default the configuration the URL names
   */
  readonly client?: KubeConfig;
}

/**
 * Connects like `connect(url)` from @baton/core, typed for Kubernetes. Importing this package
 * registers `kubernetes://` for `connect()`.
 * @throws the errors of `connect()`.
 */
export const connectKubernetes = registerAdapter<KubernetesUrl, KubernetesBackend, KubernetesConnectOptions>(
  kubernetesBackendFactory,
);
