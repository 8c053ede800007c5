import {
  acceptGrantedTtl,
  grantableTtl,
  InvalidArgumentError,
  type Logger,
  type SessionDriver,
} from '@baton/core/adapter';
import type { ConsulApi } from './api.js';
import { MAX_TTL_MS, TTL_RESOLUTION_MS } from './capabilities.js';
import type { HeldKeys } from './held.js';
import { parseGoDuration } from './responses.js';

export interface ConsulSessionSettings {
  /** The ttl asked for, in ms. */
  readonly requestedTtlMs: number;
  /** The ttl in force: first the request in whole seconds, then what the servers accept. */
  readonly ttl: { ttlMs: number };
  readonly lockDelayMs: number;
  readonly requestTimeoutMs: number;
  readonly strictTtl: boolean;
  readonly logger: Logger;
}

/** The bounds in Consul's refusal of a session ttl: "Invalid Session TTL '2000000000', must be between [10s=24h0m0s]". */
function ttlBoundsIn(error: unknown): { minMs: number; maxMs: number } | undefined {
  if (!(error instanceof InvalidArgumentError)) return undefined;
  const match = /must be between \[([^=\]]+)=([^\]]+)\]/.exec(error.message);
  const minMs = match?.[1] === undefined ? undefined : parseGoDuration(match[1]);
  const maxMs = match?.[2] === undefined ? undefined : parseGoDuration(match[2]);
  return minMs === undefined || maxMs === undefined ? undefined : { minMs, maxMs };
}

/**
 * The client's session as a Consul session: ttl, no health checks, behavior "release".
 * A revoke deletes the keys the session still holds before destroying it, since destroying
 * a session that holds a lock puts the key under lock-delay.
 */
export function consulSessionDriver(
  api: ConsulApi,
  held: HeldKeys,
  settings: ConsulSessionSettings,
): SessionDriver<string> {
  const { ttl, lockDelayMs, requestTimeoutMs } = settings;
  const create = (ttlMs: number, signal: AbortSignal): Promise<string> =>
    api.createSession(
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
  // Baton's ttl policy is applied once, to the ttl the first session was granted with.
  let accepted = false;
  const grantedTtl = async (signal: AbortSignal): Promise<{ id: string; ttlMs: number }> => {
    const { requestedTtlMs } = settings;
    if (accepted) return { id: await create(ttl.ttlMs, signal), ttlMs: ttl.ttlMs };
    // Whole seconds: under strictTtl a request off that granularity is refused before asking.
    if (settings.strictTtl) acceptGrantedTtl('consul', requestedTtlMs, ttl.ttlMs, settings);
    let id: string;
    try {
      id = await create(ttl.ttlMs, signal);
    } catch (error) {
      // The servers' session_ttl_min (10 s by default) is known only from their refusal:
      // raise the ttl to it (or refuse, under strictTtl) and ask once more.
      const bounds = ttlBoundsIn(error);
      if (!bounds) throw error;
      const maxMs = Math.min(bounds.maxMs, MAX_TTL_MS);
      const raised = grantableTtl(requestedTtlMs, { minMs: bounds.minMs, resolutionMs: TTL_RESOLUTION_MS, maxMs });
      if (settings.strictTtl || raised > maxMs)
        acceptGrantedTtl('consul', requestedTtlMs, Math.min(raised, maxMs), settings);
      ttl.ttlMs = raised;
      id = await create(ttl.ttlMs, signal);
    }
    accepted = true;
    acceptGrantedTtl('consul', requestedTtlMs, ttl.ttlMs, { ...settings, strictTtl: false });
    return { id, ttlMs: ttl.ttlMs };
  };
  return {
    grant: (_ttlMs, signal) => grantedTtl(signal),
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
