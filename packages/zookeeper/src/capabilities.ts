import type { Capabilities } from '@baton/core/adapter';

/**
 * ZooKeeper's defaults: minSessionTimeout = 2 x tickTime, maxSessionTimeout = 20 x tickTime,
 * tickTime 2 s. The server's own settings decide; connect() reports the value it granted.
 */
export const DEFAULT_MIN_SESSION_TIMEOUT_MS = 4_000;
export const DEFAULT_MAX_SESSION_TIMEOUT_MS = 40_000;

/** `granted`: the session timeout a server accepted, which widens the default bounds to include it. */
export function zookeeperCapabilities(ttlMs: number, granted?: number): Capabilities {
  return {
    fencing: {
      source: "czxid of the leader's znode: the zxid (epoch << 32 | counter) of the transaction that created it",
      regression:
        'an ensemble whose data directories are wiped or restored from an older snapshot can hand out zxids again',
    },
    minTtlMs: Math.min(DEFAULT_MIN_SESSION_TIMEOUT_MS, granted ?? DEFAULT_MIN_SESSION_TIMEOUT_MS),
    maxTtlMs: Math.max(DEFAULT_MAX_SESSION_TIMEOUT_MS, granted ?? DEFAULT_MAX_SESSION_TIMEOUT_MS),
    // The server honours any session timeout within its bounds, but expires sessions in
    // tickTime buckets; that rounding is in worstCaseFailover.
    ttlResolutionMs: 1,
    fifo: true,
    leaderRead: 'sequential',
    notify: 'watch',
    // A crashed leader's session expires ttl after its last packet, rounded up to the next
    // tick (tickTime <= ttl / 2, since the minimum session timeout is 2 x tickTime). A
    // ZooKeeper leader election in between restarts every session's timeout.
    worstCaseFailover: 'ttl + tickTime (<= 1.5 x ttl); + election time + ttl if the ZooKeeper leader changes meanwhile',
    worstCaseFailoverMs: Math.ceil(ttlMs * 1.5),
  };
}
