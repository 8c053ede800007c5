import { type Capabilities, grantableTtl } from '@baton/core/adapter';

/** Consul's default `session_ttl_min`; a server configured lower accepts shorter ttls. */
export const DEFAULT_MIN_TTL_MS = 10_000;
/** Consul's SessionTTLMax: 24 h. */
export const MAX_TTL_MS = 86_400_000;
/** Session ttls are sent as whole seconds ("10s"), the unit Consul documents. */
export const TTL_RESOLUTION_MS = 1_000;

/**
 * `ttlMs` is the ttl in force once connected; before, the request (its whole seconds, the
 * servers' minimum being known only from their answer).
 */
export function consulCapabilities(ttlMs: number, lockDelayMs: number): Capabilities {
  const ttl = grantableTtl(ttlMs, { minMs: TTL_RESOLUTION_MS, resolutionMs: TTL_RESOLUTION_MS, maxMs: MAX_TTL_MS });
  return {
    fencing: {
      source: 'raft index of the transaction that acquired the leader key (its ModifyIndex as that write returned it)',
      regression:
        'only if the servers lose their raft state: a -dev agent restarted (it keeps nothing), or a cluster rebuilt from empty data directories',
    },
    minTtlMs: DEFAULT_MIN_TTL_MS,
    maxTtlMs: MAX_TTL_MS,
    ttlResolutionMs: TTL_RESOLUTION_MS,
    fifo: false,
    leaderRead: 'linearizable',
    notify: 'watch',
    // Consul invalidates a session up to 2 x ttl after its last renewal (its timer runs at
    // ttl x SessionTTLMultiplier), and then refuses new locks on the released keys for the
    // session's lock-delay.
    worstCaseFailover: '2 x ttl + lock-delay',
    worstCaseFailoverMs: 2 * ttl + lockDelayMs,
  };
}
