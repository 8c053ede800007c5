import type { ElectionContext } from '@baton/core/adapter';
import type { LeaseApi } from './lease-api.js';
import type { LeaseWatch } from './lease-watch.js';
import type { RenewalGroup } from './renewal.js';

/** What a Kubernetes election needs from its backend. */
export interface KubernetesElectionContext extends ElectionContext {
  /** Lease calls in the client's namespace. */
  readonly api: LeaseApi;
  /** The client's one watch on the namespace's Leases. */
  readonly watch: LeaseWatch;
  /** The Leases this client holds, renewed together. */
  readonly renewals: RenewalGroup;
  /** leaseDurationSeconds written by this client's candidates: the ttl in force, in seconds. */
  readonly durationSeconds: number;
  /** Keeps a best-effort write (the release of a campaign given up) so that close() lets it finish first. */
  cleanup(pending: Promise<unknown>): void;
}
