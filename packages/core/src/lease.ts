import type { DisconnectPolicy } from './backend.js';
import { monotonicNow } from './clock.js';
import { BackendUnavailableError, type EndReason } from './errors.js';
import type { Logger } from './logger.js';

/** What one renewal round trip learned from the store. Transport failures are thrown instead. */
export type RenewOutcome =
  | { readonly kind: 'renewed'; readonly ttlMs?: number }
  | { readonly kind: 'lost'; readonly reason: EndReason };

export interface LeaseOptions {
  /** The ttl the store granted. */
  readonly ttlMs: number;
  /** Monotonic time at which the request that granted the lease was sent. */
  readonly grantSentAt: number;
  /** Default ttl/3, as etcd's concurrency.Session and Curator do. */
  readonly renewEveryMs?: number;
  /** Subtracted from every deadline to absorb clock-rate drift between client and store. */
  readonly safetyMarginMs?: number;
  readonly onDisconnect: DisconnectPolicy;
  readonly logger: Logger;
  /** For logs: which lease this is. */
  readonly label: string;
  /** One renewal round trip; `signal` aborts at the local deadline, so it never outlives the lease. */
  readonly renew?: (signal: AbortSignal) => Promise<RenewOutcome>;
}

export type LeaseLossListener = (reason: EndReason, cause?: unknown) => void;

/** What one renewal round trip came to, for metrics, events and health. */
export type RenewalReport =
  | {
      readonly ok: true;
      /** Send to reply, in ms. */
      readonly latencyMs: number;
      /** How long the deadline still had to run when the confirmation arrived, in ms: how close the lease came to lapsing. */
      readonly slackMs: number;
    }
  | {
      readonly ok: false;
      readonly latencyMs: number;
      /** The transport failure, or the lease deadline that cut the round trip short. */
      readonly error: unknown;
    };

export type RenewalListener = (report: RenewalReport) => void;

/** Default safety margin: 10 % of the ttl, at least 20 ms, at most 2 s. */
export function defaultSafetyMargin(ttlMs: number): number {
  return Math.min(2_000, Math.max(20, ttlMs * 0.1));
}

/**
 * A lease as the client believes it: valid until a local deadline on the monotonic clock.
 *
 * The deadline is the send time of the last renewal the store confirmed, plus the ttl it
 * granted, minus a safety margin. Measuring from the send time (not the reply) keeps the
 * client's belief inside the store's: the store started its own ttl no earlier than it
 * received the request. A reply that arrives after the deadline fired never revives the
 * lease. Loss is reported once, to every listener, and the lease is then dead for good.
 */
export class Lease {
  readonly label: string;
  readonly ttlMs: number;
  private readonly options: LeaseOptions;
  private readonly margin: number;
  private readonly renewEveryMs: number;
  private deadlineAt: number;
  private confirmedSentAt: number;
  private lostReason: EndReason | undefined;
  private readonly listeners = new Set<LeaseLossListener>();
  private readonly renewalListeners = new Set<RenewalListener>();
  private deadlineTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private inFlight: { readonly controller: AbortController; readonly done: Promise<void> } | undefined;
  private disconnected = false;
  private stopped = false;

  constructor(options: LeaseOptions) {
    this.options = options;
    this.label = options.label;
    this.ttlMs = options.ttlMs;
    this.margin = options.safetyMarginMs ?? defaultSafetyMargin(options.ttlMs);
    this.renewEveryMs = options.renewEveryMs ?? options.ttlMs / 3;
    this.deadlineAt = options.grantSentAt + options.ttlMs - this.margin;
    this.confirmedSentAt = options.grantSentAt;
    this.armDeadline();
    // Renewals are timed from the send time of the grant, like the deadline: a grant that took
    // longer than renewEveryMs to come back is renewed at once, not a full period later, when
    // the deadline may already be near or past.
    if (options.renew) this.scheduleRenewal(options.grantSentAt + this.renewEveryMs - monotonicNow());
  }

  /** Monotonic time after which the client must no longer act on this lease. */
  get deadline(): number {
    return this.deadlineAt;
  }

  get isValid(): boolean {
    return this.lostReason === undefined && monotonicNow() < this.deadlineAt;
  }

  get lost(): EndReason | undefined {
    return this.lostReason;
  }

  /** Calls `listener` once when the lease is lost (at once if it already is). Returns an unsubscribe. */
  onLost(listener: LeaseLossListener): () => void {
    if (this.lostReason !== undefined) {
      listener(this.lostReason);
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How often a renewal is sent, in ms. */
  get renewalPeriodMs(): number {
    return this.renewEveryMs;
  }

  /**
   * Monotonic send time of the last request the store confirmed this lease for (the grant's
   * at first): what the deadline counts from.
   */
  get lastConfirmedAt(): number {
    return this.confirmedSentAt;
  }

  /** Whether the connection is down and the lease rides it out until its deadline ('tolerate-until-deadline'). */
  get isDisconnected(): boolean {
    return this.disconnected && this.lostReason === undefined;
  }

  /**
   * Calls `listener` after each renewal round trip with its latency and outcome; for
   * telemetry. Returns an unsubscribe. A listener that throws is logged and kept.
   */
  onRenewal(listener: RenewalListener): () => void {
    this.renewalListeners.add(listener);
    return () => this.renewalListeners.delete(listener);
  }

  /** Milliseconds left until the deadline (negative once it passed). */
  get remainingMs(): number {
    return this.deadlineAt - monotonicNow();
  }

  /**
   * Sends a renewal now, or joins the one in flight, and resolves with whether the lease is
   * valid and confirmed afterwards. For a caller about to hand out a leadership on a lease
   * whose deadline is near: it renews first rather than resolve on a lease that could run out
   * before its next scheduled renewal.
   */
  async renewNow(): Promise<boolean> {
    if (this.lostReason !== undefined || this.stopped) return false;
    if (this.options.renew) {
      if (this.renewTimer) clearTimeout(this.renewTimer);
      this.renewTimer = undefined;
      await (this.inFlight?.done ?? this.renewOnce());
    }
    return this.isValid && !this.disconnected;
  }

  /**
   * Resolves with whether the lease has at least `minRemainingMs` left, renewing it first
   * (once) when it has less.
   */
  async ensureRemaining(minRemainingMs: number): Promise<boolean> {
    if (this.lostReason !== undefined) return false;
    if (this.remainingMs >= minRemainingMs && !this.disconnected) return true;
    return (await this.renewNow()) && this.remainingMs > 0;
  }

  /** The store confirmed the lease for a request sent at `sentAt`. Ignored once lost. */
  confirm(sentAt: number, ttlMs = this.ttlMs): void {
    if (this.lostReason !== undefined || this.stopped) return;
    const candidate = sentAt + ttlMs - this.margin;
    // A confirmation can only extend the deadline it was sent under; if that already passed,
    // the deadline timer has fired or is about to, and the lease stays lost.
    if (sentAt > this.deadlineAt) return;
    if (sentAt > this.confirmedSentAt) this.confirmedSentAt = sentAt;
    if (candidate > this.deadlineAt) {
      this.deadlineAt = candidate;
      this.armDeadline();
    }
    if (this.disconnected) {
      this.disconnected = false;
      this.options.logger.info({ lease: this.label }, 'connection restored before the lease deadline');
    }
  }

  /** The connection to the store broke. Under 'abort' the lease is lost now; otherwise at the deadline. */
  connectionLost(cause?: unknown): void {
    if (this.lostReason !== undefined || this.stopped) return;
    if (this.options.onDisconnect === 'abort') {
      this.lose('connection-lost', cause);
      return;
    }
    if (!this.disconnected) {
      this.disconnected = true;
      this.options.logger.warn(
        { lease: this.label, err: cause, remainingMs: Math.round(this.deadlineAt - monotonicNow()) },
        'connection lost; tolerating until the lease deadline',
      );
    }
  }

  /** The store said the lease is gone (or the adapter decided so). Reported once. */
  lose(reason: EndReason, cause?: unknown): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    this.clearTimers();
    if (!this.stopped) {
      this.options.logger.warn({ lease: this.label, reason, err: cause }, 'lease lost');
    }
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) {
      try {
        listener(reason, cause);
      } catch (error) {
        this.options.logger.error({ lease: this.label, err: error }, 'lease loss listener threw');
      }
    }
  }

  /** Stops renewing without reporting a loss to the store's side; used when the client closes. */
  stop(reason: EndReason = 'closed'): void {
    this.stopped = true;
    this.lose(reason);
  }

  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const wait = Math.max(0, this.deadlineAt - monotonicNow());
    this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.ceil(wait));
  }

  private onDeadline(): void {
    this.deadlineTimer = undefined;
    if (this.lostReason !== undefined) return;
    if (monotonicNow() < this.deadlineAt) {
      this.armDeadline();
      return;
    }
    this.lose(this.disconnected ? 'connection-lost' : 'expired');
  }

  private scheduleRenewal(delayMs: number): void {
    if (this.lostReason !== undefined || this.stopped) return;
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(
      () => {
        this.renewTimer = undefined;
        void this.renewOnce();
      },
      Math.max(0, delayMs),
    );
  }

  private renewOnce(): Promise<void> {
    const renew = this.options.renew;
    if (!renew || this.lostReason !== undefined) return Promise.resolve();
    if (this.inFlight) return this.inFlight.done;
    const controller = new AbortController();
    const done = this.runRenewal(renew, controller);
    this.inFlight = { controller, done };
    return done;
  }

  private async runRenewal(
    renew: (signal: AbortSignal) => Promise<RenewOutcome>,
    controller: AbortController,
  ): Promise<void> {
    // Let renewOnce() record the in-flight renewal before anything here can finish.
    await Promise.resolve();
    const timeout = setTimeout(
      () => controller.abort(new BackendUnavailableError('the renewal did not complete before the lease deadline')),
      Math.max(1, this.deadlineAt - monotonicNow()),
    );
    const sentAt = monotonicNow();
    try {
      const outcome = await renew(controller.signal);
      if (outcome.kind === 'lost') {
        this.lose(outcome.reason);
        return;
      }
      const repliedAt = monotonicNow();
      const slackMs = this.deadlineAt - repliedAt;
      this.confirm(sentAt, outcome.ttlMs);
      if (this.lostReason === undefined) this.report({ ok: true, latencyMs: repliedAt - sentAt, slackMs });
      this.scheduleRenewal(this.renewEveryMs - (monotonicNow() - sentAt));
    } catch (error) {
      // Cut short by the deadline or by a loss, it failed all the same; a stop reports nothing.
      this.report({ ok: false, latencyMs: monotonicNow() - sentAt, error });
      if (this.lostReason !== undefined) return;
      this.connectionLost(error);
      // Retry soon: under 'tolerate-until-deadline' every confirmed renewal before the
      // deadline keeps the leadership.
      this.scheduleRenewal(Math.min(this.renewEveryMs, 250));
    } finally {
      clearTimeout(timeout);
      this.inFlight = undefined;
    }
  }

  private report(report: RenewalReport): void {
    if (this.stopped) return;
    for (const listener of this.renewalListeners) {
      try {
        listener(report);
      } catch (error) {
        this.options.logger.error({ lease: this.label, err: error }, 'renewal listener threw');
      }
    }
  }

  private clearTimers(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.deadlineTimer = undefined;
    this.renewTimer = undefined;
    this.inFlight?.controller.abort();
  }
}
