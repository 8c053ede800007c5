import type { Capabilities } from '@baton/core/adapter';

/**
 * PX takes whole milliseconds. Below 100 ms a renewal every ttl/3 has too little room for one
 * loopback round trip on a busy host.
 */
export const REDIS_TTL_LIMITS = { minMs: 100, resolutionMs: 1, maxMs: 2 ** 31 - 1 } as const;
/** How long after a key's expiry a waiter may still sleep before it retries (its poll jitter). */
export const POLL_JITTER_MS = 100;

export function redisCapabilities(ttlMs: number): Capabilities {
  return {
    fencing: {
      source:
        "a per-election counter incremented by the Lua script that takes the key, floored by the server's clock (TIME, in microseconds)",
      regression:
        "on an asynchronous replica failover (the promoted replica may lack the counter's last write), or when the server's clock is set back across a restart without persistence",
    },
    minTtlMs: REDIS_TTL_LIMITS.minMs,
    maxTtlMs: REDIS_TTL_LIMITS.maxMs,
    ttlResolutionMs: REDIS_TTL_LIMITS.resolutionMs,
    fifo: false,
    leaderRead: 'linearizable',
    notify: 'pubsub',
    worstCaseFailover: "ttl + 100 ms (a waiter polls at the key's remaining PTTL, plus jitter)",
    worstCaseFailoverMs: ttlMs + POLL_JITTER_MS,
  };
}
