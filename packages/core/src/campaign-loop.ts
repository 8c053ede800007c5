import { backoffDelay, sleep, toAbortError } from './abort.js';
import type { ElectionContext } from './election-context.js';
import type { Leadership } from './leadership.js';

/** Which failures of a campaign attempt are worth another attempt, and how long to wait first. */
export interface RetryPolicy {
  /** Errors worth another attempt after a pause (the store was briefly unreachable); others reject the campaign. */
  isTransient(error: unknown): boolean;
  /**
   * The error a failure that ends the campaign rejects with: the store client's error mapped
   * to Baton's typed errors.
   * @default the error itself
   */
  toError?(error: unknown): unknown;
  /**
   * Milliseconds to wait before the attempt after `failures` consecutive transient failures.
   * @default full-jitter backoff from 100 ms, capped at max(1 s, ttl / 2)
   */
  backoff?(failures: number): number;
}

/** How one campaign is driven by `runCampaign`. */
export interface CampaignSteps {
  /** The election's name, for logs. */
  readonly election: string;
  readonly context: ElectionContext;
  /** The caller's signal linked to the client's close (`scope.link`). */
  readonly stop: AbortSignal;
  readonly retry: RetryPolicy;
  /**
   * One attempt: resolves with the leadership, or undefined to try again at once (the lease
   * or key turned out to be gone, the key was taken). It cleans up what it created before it
   * throws or returns undefined.
   */
  attempt(stop: AbortSignal): Promise<Leadership | undefined>;
}

/**
 * The campaign loop every adapter shares: attempt until an attempt yields a leadership;
 * after a transient failure log it and back off; reject at once with AbortError (or
 * ClosedError) when `stop` aborts, and with the mapped error when it is not transient.
 */
export async function runCampaign({ election, context, stop, retry, attempt }: CampaignSteps): Promise<Leadership> {
  const backoff =
    retry.backoff ?? ((failures: number) => backoffDelay(failures, 100, Math.max(1_000, context.ttlMs / 2)));
  let failures = 0;
  for (;;) {
    if (stop.aborted) throw toAbortError(stop);
    try {
      const leadership = await attempt(stop);
      failures = 0;
      if (leadership) return leadership;
    } catch (error) {
      if (stop.aborted) throw toAbortError(stop);
      if (!retry.isTransient(error)) throw retry.toError ? retry.toError(error) : error;
      context.logger.warn({ election, err: error }, 'campaign interrupted by a store failure; retrying');
      await sleep(backoff(failures++), stop);
    }
  }
}
