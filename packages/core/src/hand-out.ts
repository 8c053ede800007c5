import { toAbortError } from './abort.js';
import type { ClientScope } from './client-scope.js';
import { ClosedError } from './errors.js';
import type { LeadershipTerm } from './leadership-term.js';
import type { Lease } from './lease.js';

/**
 * Whether a campaign may resolve on `lease` now: a lease whose grant was slow can be near
 * its deadline, and a leadership handed out on it would lapse before its next scheduled
 * renewal. With less than half a ttl left it is renewed first; false when that renewal was
 * not confirmed (the caller gives up the key and campaigns again).
 */
export function leaseReadyForTerm(lease: Lease): Promise<boolean> {
  return lease.ensureRemaining(lease.ttlMs / 2);
}

export interface HandOut {
  readonly scope: ClientScope;
  /** The campaign's signal (the caller's, linked to close). */
  readonly stop: AbortSignal;
  /** The lease the term rests on: its loss ends the term with the lease's reason. */
  readonly lease?: Lease;
  /** Stops what the adapter started for this term (watches, listeners) when it ends. */
  readonly onEnd?: () => void;
}

/**
 * Gives a new term to the campaign's caller, or takes it back: ties it to its lease and to
 * the client (close() ends it), and when the client closed or the caller gave up while it
 * was being won, resigns it (a guarded release) and rejects instead of leaking it.
 * @throws ClosedError when the client closed meanwhile.
 * @throws AbortError when the caller's signal aborted meanwhile.
 */
export async function handOutTerm(
  term: LeadershipTerm,
  { scope, stop, lease, onEnd }: HandOut,
): Promise<LeadershipTerm> {
  if (lease) term.restOn(lease);
  const unlost = lease?.onLost((reason, cause) => term.end(reason, cause));
  term.onEnd(() => {
    unlost?.();
    onEnd?.();
  });
  scope.track(term);
  if (scope.closed) throw new ClosedError();
  if (stop.aborted && !term.signal.aborted) {
    await term.resign();
    throw toAbortError(stop);
  }
  return term;
}
