import { type RetryPolicy, runCampaign } from './campaign-loop.js';
import { type ResolvedCampaign, resolveCampaignOptions } from './client-scope.js';
import type { CampaignOptions, Election, LeaderInfo, ObserveOptions } from './election.js';
import type { ElectionContext } from './election-context.js';
import { serialisable } from './leader-info.js';
import type { Leadership } from './leadership.js';
import { LeadershipTerm } from './leadership-term.js';
import { type LeaderSource, observeLeader } from './observe.js';
import { validateSignal } from './validation.js';

/** One campaign's attempts, and what to do once it settles. */
export interface CampaignPlan {
  /** One attempt; see `CampaignSteps.attempt`. */
  attempt(stop: AbortSignal): Promise<Leadership | undefined>;
  /** Runs once when the campaign settles, with its failure (undefined when it won). */
  settle?(failure: unknown): void;
}

/**
 * What every adapter's election does the same way: validate campaign options and refuse a
 * closed client before any round trip, run the campaign loop, and serve leader() and
 * observe() from the adapter's read and notification. An adapter supplies its store's
 * steps: `plan` (one campaign's attempts), `retry`, `readLeader` and `leaderSource`.
 */
export abstract class ElectionBase<C extends ElectionContext> implements Election {
  readonly name: string;
  protected readonly context: C;

  constructor(context: C, name: string) {
    this.context = context;
    this.name = name;
  }

  /**
   * Waits until this candidate leads, then resolves with its leadership.
   * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for a malformed id, value or signal, before any round trip.
   * @throws AbortError when `options.signal` aborts first; ClosedError (ERR_CLOSED) when the client closes first.
   * @throws AuthError (ERR_AUTH) when the store refuses the credentials.
   */
  async campaign(options?: CampaignOptions): Promise<Leadership> {
    const campaign = resolveCampaignOptions(options);
    const { scope } = this.context;
    scope.assertOpen();
    const { telemetry } = scope;
    const startedAt = telemetry.campaignStarted(this.name, campaign.id);
    const stop = scope.link(campaign.signal);
    const plan = this.plan(campaign, stop);
    let leadership: Leadership;
    try {
      leadership = await runCampaign({
        election: this.name,
        context: this.context,
        stop,
        retry: this.retry,
        attempt: (attemptStop) => plan.attempt(attemptStop),
      });
    } catch (error) {
      plan.settle?.(error);
      telemetry.campaignFailed(startedAt, error);
      throw error;
    }
    plan.settle?.(undefined);
    if (leadership instanceof LeadershipTerm) telemetry.elected(leadership, startedAt);
    return leadership;
  }

  /**
   * The current leader, or undefined when there is none.
   * @throws ClosedError (ERR_CLOSED) after close(); BackendUnavailableError when the store does not answer.
   */
  async leader(): Promise<LeaderInfo | undefined> {
    const { scope } = this.context;
    scope.assertOpen();
    return serialisable(await this.readLeader(scope.signal));
  }

  /**
   * The current state first, then each change, until `options.signal` aborts or the client closes.
   * @throws InvalidArgumentError for a signal that is not an AbortSignal; ClosedError after close().
   */
  observe(options?: ObserveOptions): AsyncIterable<LeaderInfo | undefined> {
    const signal = validateSignal(options?.signal);
    const { scope, logger } = this.context;
    scope.assertOpen();
    return observeLeader(this.leaderSource(), scope.link(signal), logger, () =>
      scope.telemetry.resubscribed(this.name),
    );
  }

  /** Which attempt failures are transient, and the backoff between attempts. */
  protected abstract readonly retry: RetryPolicy;

  /** The attempts of one campaign, for validated options and its linked stop signal. */
  protected abstract plan(campaign: ResolvedCampaign, stop: AbortSignal): CampaignPlan;

  /** One read of the leader, bounded, errors mapped to Baton's. */
  protected abstract readLeader(signal: AbortSignal): Promise<LeaderInfo | undefined>;

  /** How observe() reads and is notified; a new source per observer. */
  protected abstract leaderSource(): LeaderSource;
}
