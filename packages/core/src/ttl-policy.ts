import type { ResolvedBackendOptions } from './backend.js';
import { InvalidArgumentError } from './errors.js';

/** What ttls a store can grant. */
export interface TtlLimits {
  /** The smallest ttl the store grants, in ms. */
  readonly minMs: number;
  /** The store's granularity: it grants whole multiples of this many ms. */
  readonly resolutionMs: number;
  /** The largest ttl the store grants, in ms. */
  readonly maxMs: number;
}

/**
 * Baton's one ttl policy, for a ttl the store has granted (or will grant) for a request: the
 * store grants at least what was asked. More than asked (a request below the store's minimum
 * or off its granularity) is accepted and logged at warn with both numbers, or, under
 * `strictTtl`, refused. Less than asked is refused: the store cannot keep the promise.
 * Returns the ttl in force.
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) naming both numbers when refused.
 */
export function acceptGrantedTtl(
  kind: string,
  requestedMs: number,
  grantedMs: number,
  options: Pick<ResolvedBackendOptions, 'strictTtl' | 'logger'>,
): number {
  if (grantedMs < requestedMs) {
    throw new InvalidArgumentError(
      `ttlMs ${requestedMs} is more than the ${kind} store grants: at most ${grantedMs} ms`,
    );
  }
  if (grantedMs > requestedMs) {
    if (options.strictTtl) {
      throw new InvalidArgumentError(
        `ttlMs ${requestedMs} is not a ttl the ${kind} store grants (it would grant ${grantedMs} ms); ` +
          'ask for that, or leave strictTtl off to have it raised',
      );
    }
    options.logger.warn(
      { backend: kind, requestedTtlMs: requestedMs, ttlMs: grantedMs },
      `ttl raised from ${requestedMs} ms to ${grantedMs} ms, the least the ${kind} store grants`,
    );
  }
  return grantedMs;
}

/** The ttl a store with `limits` grants for a request: raised to its minimum and up to its granularity. */
export function grantableTtl(requestedMs: number, limits: TtlLimits): number {
  const raised = Math.max(requestedMs, limits.minMs);
  const rounded = Math.ceil(raised / limits.resolutionMs) * limits.resolutionMs;
  return rounded > limits.maxMs ? Math.max(requestedMs, limits.maxMs) : rounded;
}

/**
 * The ttl in force on a store whose limits are known in advance: `grantableTtl` under the
 * policy of `acceptGrantedTtl`.
 * @throws InvalidArgumentError as `acceptGrantedTtl` does, and above the store's maximum.
 */
export function ttlInForce(
  kind: string,
  requestedMs: number,
  limits: TtlLimits,
  options: Pick<ResolvedBackendOptions, 'strictTtl' | 'logger'>,
): number {
  if (requestedMs > limits.maxMs) {
    throw new InvalidArgumentError(
      `ttlMs ${requestedMs} is more than the ${kind} store grants: at most ${limits.maxMs} ms`,
    );
  }
  return acceptGrantedTtl(kind, requestedMs, grantableTtl(requestedMs, limits), options);
}
