import type { SessionDriver } from '@baton/core/adapter';
import type { ConsulApi } from './api.js';
import type { HeldKeys } from './held.js';

export interface ConsulSessionSettings {
  readonly ttlMs: number;
  readonly lockDelayMs: number;
  readonly requestTimeoutMs: number;
}

/**
 * The client's session as a Consul session: ttl, no health checks, behavior "release".
 * A revoke deletes the keys the session still holds before destroying it, since destroying
 * a session that holds a lock puts the key under lock-delay.
 */
export function consulSessionDriver(
  api: ConsulApi,
  held: HeldKeys,
  { ttlMs, lockDelayMs, requestTimeoutMs }: ConsulSessionSettings,
): SessionDriver<string> {
  return {
    grant: async (_ttlMs, signal) => {
      const id = await api.createSession(
        {
          name: 'baton',
          ttl: `${ttlMs / 1_000}s`,
          lockdelay: `${lockDelayMs}ms`,
          behavior: 'release',
          // No node health checks: the ttl alone decides, so a node's flapping serf
          // health never ends a leadership, and the client's local deadline stays exact.
          checks: [],
        },
        signal,
        requestTimeoutMs,
      );
      return { id, ttlMs };
    },
    renew: async (id, signal) => {
      const renewed = await api.renewSession(id, signal, requestTimeoutMs);
      if (!renewed.found) return { kind: 'lost', reason: 'expired' };
      return renewed.ttlMs === undefined ? { kind: 'renewed' } : { kind: 'renewed', ttlMs: renewed.ttlMs };
    },
    revoke: async (id, signal) => {
      // Read synchronously, before the leaderships on this session end and unregister.
      const keys = held.heldBy(id);
      await Promise.allSettled(keys.map((key) => key.release(signal)));
      await api.destroySession(id, signal, requestTimeoutMs);
    },
  };
}
