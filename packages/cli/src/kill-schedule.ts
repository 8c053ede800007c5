import type { EndReason } from '@baton/core';

/** What `baton run` knows when a leadership ends while its command runs. */
export interface Loss {
  readonly reason: EndReason;
  /** Monotonic ms at which the loss was learned. */
  readonly at: number;
  /** The leadership's local deadline at that moment, when its store gives one. */
  readonly validUntil: number | undefined;
}

export type KillRule =
  /** `--kill-after` ran out first. */
  | 'kill-after'
  /** The leadership's local deadline: the adapter releases the key no later than this. */
  | 'local-deadline'
  /** The store said the key is gone or someone else's: a successor may already lead. */
  | 'deposed'
  /** The store gives no local deadline to wait for. */
  | 'no-deadline'
  /** The store showed the election vacant or led by another: a successor can be elected now. */
  | 'successor-possible'
  /** A second stop signal reached baton. */
  | 'second-signal';

export interface KillPlan {
  /** Monotonic ms at which SIGKILL goes to the command's process group. */
  readonly at: number;
  readonly rule: KillRule;
}

/**
 * When the command's process group gets SIGKILL after a loss; SIGTERM goes at once.
 *
 * A successor can be elected as soon as the store forgets this leadership's key: when it
 * expires there (no earlier than the local deadline plus the lease's safety margin), or
 * when the adapter's release reaches it. The adapter sends that release the moment the
 * term ends, and baton cannot tell a store that does not hear it (a partition) from one
 * that hears it but whose replies are lost. So:
 *
 * - `deposed`, or no local deadline known: at once. The store has moved on already.
 * - Otherwise at the first of `loss + killAfterMs` and the local deadline (`validUntil`),
 *   and never before the loss. A term that ends by expiry ends at its deadline, so its
 *   command gets SIGKILL together with SIGTERM; one that ends earlier (a dropped
 *   connection) leaves the command the time until the deadline.
 *
 * On top of this plan the caller watches the election and kills at once when it shows a
 * vacancy or another leader (rule `successor-possible`): that covers a release that reached
 * the store before the deadline.
 */
export function killPlan(loss: Loss, killAfterMs: number): KillPlan {
  if (loss.reason === 'deposed') return { at: loss.at, rule: 'deposed' };
  if (loss.validUntil === undefined) return { at: loss.at, rule: 'no-deadline' };
  const deadline = Math.max(loss.at, loss.validUntil);
  const grace = loss.at + killAfterMs;
  return grace < deadline ? { at: grace, rule: 'kill-after' } : { at: deadline, rule: 'local-deadline' };
}
