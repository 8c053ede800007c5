import { type Capabilities, grantableTtl, type TtlLimits } from '@baton/core/adapter';

/** etcd's default minimum lease ttl: ceil(1.5 x election timeout of 1 s) = 2 s. The server may raise it. */
export const DEFAULT_MIN_TTL_MS = 2_000;
export const TTL_RESOLUTION_MS = 1_000;
/** How often etcd's lessor revokes expired leases. */
const EXPIRY_SCAN_MS = 500;
/** etcd lease ttls are int64 seconds; Baton caps every ttl at 2^31-1 ms. */
export const MAX_TTL_MS = Math.floor((2 ** 31 - 1) / TTL_RESOLUTION_MS) * TTL_RESOLUTION_MS;

/**
 * What leases the server grants: whole seconds, at least its minimum (learned at connect),
 * at most MAX_TTL_MS (Node timers cannot wait longer than 2^31-1 ms).
 */
export function etcdTtlLimits(minTtlMs = DEFAULT_MIN_TTL_MS): TtlLimits {
  return { minMs: minTtlMs, resolutionMs: TTL_RESOLUTION_MS, maxMs: MAX_TTL_MS };
}

export function etcdCapabilities(ttlMs: number, minTtlMs = DEFAULT_MIN_TTL_MS): Capabilities {
  const effective = grantableTtl(ttlMs, etcdTtlLimits(minTtlMs));
  return {
    fencing: {
      source: "create revision of the leader's key (etcd's cluster-wide revision counter)",
      regression:
        'a restore from snapshot without --bump-revision (etcdutl snapshot restore) can reissue revisions already handed out',
    },
    minTtlMs,
    maxTtlMs: MAX_TTL_MS,
    ttlResolutionMs: TTL_RESOLUTION_MS,
    fifo: true,
    leaderRead: 'linearizable',
    notify: 'watch',
    // A crashed leader's lease expires ttl after the etcd leader applied its last keepalive;
    // the lessor looks for expired leases every 500 ms. An etcd leader election in between
    // gives every lease a fresh ttl (the new leader cannot know how long the old one waited).
    worstCaseFailover: 'ttl + 500 ms (etcd expiry scan); + election timeout + ttl if the etcd leader changes meanwhile',
    worstCaseFailoverMs: effective + EXPIRY_SCAN_MS,
  };
}
