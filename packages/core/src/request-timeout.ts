/** Bounds of one store round trip, in ms. */
export interface RequestTimeoutBounds {
  /** @default 1_000 */
  readonly minMs?: number;
  /** @default 5_000 */
  readonly maxMs?: number;
}

/**
 * How long one round trip to the store may take: the ttl, within bounds. Long enough for
 * a loaded store, short enough that no request outlives the lease it serves by much.
 */
export function requestTimeoutFor(ttlMs: number, { minMs = 1_000, maxMs = 5_000 }: RequestTimeoutBounds = {}): number {
  return Math.min(maxMs, Math.max(minMs, ttlMs));
}
