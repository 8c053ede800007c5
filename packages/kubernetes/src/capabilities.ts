import { type Capabilities, grantableTtl, type TtlLimits } from '@baton/core/adapter';

/**
 * leaseDurationSeconds is a whole number of seconds, at least 1 (the API server refuses 0), at
 * most what a Node timer can wait (2^31-1 ms) in whole seconds.
 */
export const KUBERNETES_TTL_LIMITS: TtlLimits = {
  minMs: 1_000,
  resolutionMs: 1_000,
  maxMs: Math.floor((2 ** 31 - 1) / 1_000) * 1_000,
};

/**
 * From a waiter's expiry timer firing to it leading: a read that finds the record unchanged,
 * then the guarded update that takes it. Two round trips on a loaded API server.
 */
export const TAKEOVER_ROUND_TRIPS_MS = 500;

export function kubernetesCapabilities(ttlMs: number): Capabilities {
  const ttl = grantableTtl(ttlMs, KUBERNETES_TTL_LIMITS);
  return {
    fencing: {
      source:
        "resourceVersion of the Lease that the acquiring update replaced (its precondition; etcd's cluster-wide revision, compared as an integer)",
      regression:
        'only when etcd is restored from a backup without a revision bump (etcdutl snapshot restore without --bump-revision), which hands out revisions again; deleting the Lease does not make it regress',
    },
    minTtlMs: KUBERNETES_TTL_LIMITS.minMs,
    maxTtlMs: KUBERNETES_TTL_LIMITS.maxMs,
    ttlResolutionMs: KUBERNETES_TTL_LIMITS.resolutionMs,
    fifo: false,
    // A GET without resourceVersion is served from etcd with a quorum read.
    leaderRead: 'linearizable',
    notify: 'watch',
    // client-go's rule: a waiter takes the Lease once it has seen no change to it for
    // leaseDurationSeconds, counted from when it saw the last renewal. With its watch down it
    // sees the renewals only when it reads at expiry, so one more ttl can pass.
    worstCaseFailover:
      'ttl after the last renewal a waiter saw + a read and an update; up to 2 x ttl while its watch is down',
    worstCaseFailoverMs: ttl + TAKEOVER_ROUND_TRIPS_MS,
  };
}
