import { type Election, isBatonError, type LeaderInfo, type Leadership } from '@baton/core';

export type CampaignResult =
  | { readonly kind: 'elected'; readonly leadership: Leadership }
  | { readonly kind: 'other-leader'; readonly leader: LeaderInfo }
  | { readonly kind: 'stopped' };

export interface CampaignPlan {
  readonly election: Election;
  readonly id: string;
  readonly value: string | undefined;
  /** Aborts the wait: the result is `stopped`. */
  readonly stop: AbortSignal;
  /** Give up as soon as anyone else is seen leading, instead of waiting. */
  readonly noWait: boolean;
  /** A campaign attempt failed (the store is unreachable, say); another follows after `delayMs`. */
  readonly onRetry: (error: unknown, delayMs: number) => void;
}

/**
 * Campaigns until elected or stopped. Store errors are retried with capped, jittered
 * backoff (a supervisor outlives store outages), except with `noWait`: then any error is
 * thrown, since a cron job must not hang. Bad input (ERR_INVALID_ARGUMENT) and a closed
 * backend are always thrown.
 */
export async function campaign(plan: CampaignPlan): Promise<CampaignResult> {
  if (plan.noWait) return campaignOrGiveUp(plan);
  for (let attempt = 0; ; attempt++) {
    try {
      return { kind: 'elected', leadership: await plan.election.campaign(options(plan, plan.stop)) };
    } catch (error) {
      if (plan.stop.aborted) return { kind: 'stopped' };
      if (isBatonError(error, 'ERR_INVALID_ARGUMENT') || isBatonError(error, 'ERR_CLOSED')) throw error;
      const delayMs = retryDelay(attempt);
      plan.onRetry(error, delayMs);
      if (!(await pause(delayMs, plan.stop))) return { kind: 'stopped' };
    }
  }
}

/**
 * `--no-wait`: reads who leads first and gives up at once if anyone does. Otherwise it
 * campaigns while still watching, and withdraws (leaving nothing behind) if another
 * candidate wins the race.
 */
async function campaignOrGiveUp(plan: CampaignPlan): Promise<CampaignResult> {
  const watching = new AbortController();
  const giveUp = new AbortController();
  const signal = AbortSignal.any([plan.stop, watching.signal]);
  let other: LeaderInfo | undefined;
  const states = plan.election.observe({ signal })[Symbol.asyncIterator]();
  try {
    const first = await states.next();
    if (plan.stop.aborted) return { kind: 'stopped' };
    if (!first.done && first.value !== undefined) return { kind: 'other-leader', leader: first.value };
    const watcher = (async () => {
      for (let next = await states.next(); !next.done; next = await states.next()) {
        if (next.value !== undefined && next.value.id !== plan.id) {
          other = next.value;
          giveUp.abort();
          return;
        }
      }
    })().catch(() => {});
    try {
      const leadership = await plan.election.campaign(options(plan, AbortSignal.any([plan.stop, giveUp.signal])));
      return { kind: 'elected', leadership };
    } catch (error) {
      if (plan.stop.aborted) return { kind: 'stopped' };
      if (other) return { kind: 'other-leader', leader: other };
      throw error;
    } finally {
      watching.abort();
      await watcher;
    }
  } finally {
    watching.abort();
  }
}

function options(plan: CampaignPlan, signal: AbortSignal): { id: string; value?: string; signal: AbortSignal } {
  return { id: plan.id, signal, ...(plan.value === undefined ? {} : { value: plan.value }) };
}

/** 200 ms doubling to 5 s, each between half and the whole of that. */
export function retryDelay(attempt: number): number {
  const ceiling = Math.min(5_000, 200 * 2 ** Math.min(attempt, 10));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Waits `ms`; false if `signal` aborted first. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
