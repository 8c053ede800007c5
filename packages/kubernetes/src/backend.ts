import {
  BackendBase,
  type Capabilities,
  InvalidArgumentError,
  type ResolvedBackendOptions,
  requestTimeoutFor,
  ttlInForce,
} from '@baton/core/adapter';
import type { KubeConfig } from '@kubernetes/client-node';
import { KUBERNETES_TTL_LIMITS, kubernetesCapabilities } from './capabilities.js';
import { clusterConfig, isKubeConfig } from './cluster-config.js';
import type { KubernetesElectionContext } from './context.js';
import { KubernetesElection } from './election.js';
import { kubernetesError } from './errors.js';
import { LeaseApi, MAX_SOCKETS } from './lease-api.js';
import { LeaseWatch } from './lease-watch.js';
import { RenewalGroup } from './renewal.js';
import type { KubernetesUrl } from './url.js';

/** How the backend finds what Kubernetes provides a pod; tests stand in for a pod with it. */
export interface KubernetesBackendOptions {
  /**
   * Where the pod's service account is mounted (token, ca.crt, namespace), for `kubernetes://`
   * and for `kubernetes://host:port` without a kubeconfig.
   * @default '/var/run/secrets/kubernetes.io/serviceaccount', where Kubernetes mounts it
   */
  readonly serviceAccountDir?: string;
  /**
   * The environment to find `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT` in.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A client of one Kubernetes API server, in one namespace: a keep-alive connection pool for
 * Lease calls, one watch shared by its waiters and observers, and one renewal tick for all
 * the Leases it holds.
 */
export class KubernetesBackend extends BackendBase<KubernetesElection> {
  readonly kind = 'kubernetes';
  readonly capabilities: Capabilities;
  /** The ttl in force: whole seconds, at least 1 s (leaseDurationSeconds). */
  readonly ttlMs: number;
  /** The namespace of the Lease objects. */
  readonly namespace: string;
  private readonly context: KubernetesElectionContext;
  private readonly cleanups = new Set<Promise<unknown>>();

  constructor(api: LeaseApi, options: ResolvedBackendOptions) {
    super();
    this.ttlMs = options.ttlMs;
    this.namespace = api.namespace;
    this.capabilities = kubernetesCapabilities(this.ttlMs);
    const watch = new LeaseWatch(api, options.logger);
    this.context = {
      scope: this.scope,
      logger: options.logger,
      ttlMs: this.ttlMs,
      requestTimeoutMs: requestTimeoutFor(this.ttlMs),
      api,
      watch,
      durationSeconds: this.ttlMs / 1_000,
      renewals: new RenewalGroup({
        ttlMs: this.ttlMs,
        onDisconnect: options.onDisconnect,
        logger: options.logger,
        label: `kubernetes:${api.namespace}`,
        concurrency: MAX_SOCKETS,
      }),
      cleanup: (pending) => {
        this.cleanups.add(pending);
        void pending.finally(() => this.cleanups.delete(pending));
      },
    };
  }

  /** The names of the Leases this client currently leads with (for operators and test hooks). */
  get heldLeases(): string[] {
    return this.context.renewals.held;
  }

  /** The Lease an election of this name lives in. */
  leaseNameOf(election: string): string {
    return this.election(election).leaseName;
  }

  /**
   * Cuts this client's watch connection, as a dropped connection would; waiters and observers
   * re-read and watch again. For fault tests. Returns how many watches it cut.
   */
  interruptWatches(): number {
    return this.context.api.interruptWatches();
  }

  protected createElection(name: string): KubernetesElection {
    return new KubernetesElection(this.context, name);
  }

  protected async finalize(): Promise<void> {
    // Campaigns cut short by the close give back what they may have taken; let them finish.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await Promise.allSettled([...this.cleanups]);
    this.context.renewals.stop();
    this.context.watch.close();
    this.context.api.close();
  }
}

/**
 * Opens a backend: reads the configuration the URL names (or the given KubeConfig), then lists
 * at most one Lease, which checks that the API server answers and that the credentials may
 * list Leases in the namespace.
 * @throws InvalidArgumentError, AuthError, BackendUnavailableError as connect() documents.
 */
export async function openKubernetesBackend(
  url: KubernetesUrl,
  options: ResolvedBackendOptions,
  signal: AbortSignal,
  overrides: KubernetesBackendOptions = {},
): Promise<KubernetesBackend> {
  const ttlMs = ttlInForce('kubernetes', options.ttlMs, KUBERNETES_TTL_LIMITS, options);
  if (options.client !== undefined && !isKubeConfig(options.client)) {
    throw new InvalidArgumentError('options.client must be a KubeConfig of @kubernetes/client-node');
  }
  const cluster = clusterConfig(url, {
    ...(options.client === undefined ? {} : { client: options.client as KubeConfig }),
    ...(overrides.serviceAccountDir === undefined ? {} : { serviceAccountDir: overrides.serviceAccountDir }),
    ...(overrides.env === undefined ? {} : { env: overrides.env }),
  });
  const api = await LeaseApi.create(cluster, requestTimeoutFor(ttlMs));
  try {
    await api.listVersion(signal);
  } catch (error) {
    api.close();
    if (signal.aborted) throw signal.reason;
    throw kubernetesError(`connecting to ${cluster.server} (namespace ${cluster.namespace})`, error);
  }
  if (signal.aborted) {
    api.close();
    throw signal.reason;
  }
  return new KubernetesBackend(api, { ...options, ttlMs });
}
