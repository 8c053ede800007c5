import { type Capabilities, grantableTtl, type TtlLimits } from '@baton/core/adapter';

/**
 * The ttls a session row takes: whole milliseconds (an integer column, compared with the
 * server's clock to the microsecond), from 250 ms, the least that leaves a renewal every
 * ttl/3 room for a round trip and a busy event loop, up to 2^31-1 ms.
 */
export const POSTGRES_TTL_LIMITS: TtlLimits = { minMs: 250, resolutionMs: 1, maxMs: 2 ** 31 - 1 };

/** The slack a waiting candidate's re-check at its predecessor's expiry takes, beyond the ttl. */
const RECHECK_MS = 100;

export function postgresCapabilities(ttlMs: number): Capabilities {
  const effective = grantableTtl(ttlMs, POSTGRES_TTL_LIMITS);
  return {
    fencing: {
      source:
        "the candidate row's token: the election's counter + 1, or the server clock in µs if higher, taken under the election row's lock",
      regression:
        'a restore, point-in-time recovery or promotion of an asynchronous replica that loses issued tokens, on a server whose clock reads earlier than when they were issued',
    },
    minTtlMs: POSTGRES_TTL_LIMITS.minMs,
    maxTtlMs: POSTGRES_TTL_LIMITS.maxMs,
    ttlResolutionMs: POSTGRES_TTL_LIMITS.resolutionMs,
    fifo: true,
    // One primary answers every statement; a read sees every commit before it.
    leaderRead: 'linearizable',
    // LISTEN/NOTIFY: delivered at commit to every listening connection, lost while one is
    // reconnecting (then every listener reads again).
    notify: 'pubsub',
    // A crashed leader's session expires ttl after its last renewal by the server's clock; the
    // next candidate looks again at that moment. A fenced transaction it left open ends with
    // the lease (assert_leader bounds its timeouts by what the lease had left).
    worstCaseFailover: 'ttl + 100 ms (the next candidate re-checks when the session expires by the server clock)',
    worstCaseFailoverMs: effective + RECHECK_MS,
  };
}
