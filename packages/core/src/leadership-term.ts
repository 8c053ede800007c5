import { withTimeout } from './abort.js';
import { monotonicNow } from './clock.js';
import { type EndReason, LeadershipLostError } from './errors.js';
import { type HealthOptions, type LeadershipHealth, termHealth, validateHealthOptions } from './health.js';
import type { Leadership } from './leadership.js';
import type { Lease } from './lease.js';
import type { Logger } from './logger.js';
import { validateValue } from './validation.js';

/** What an adapter does in its store for a leadership; each write guarded by the token. */
export interface TermActions {
  /** Writes a new value if the key is still ours; throws LeadershipLostError if it is not. */
  proclaim(value: string, signal: AbortSignal): Promise<void>;
  /** Deletes the key only if it still holds this token, so a release never removes a successor. */
  release(signal: AbortSignal): Promise<void>;
}

export interface TermInit {
  readonly election: string;
  readonly id: string;
  readonly token: bigint;
  readonly actions: TermActions;
  readonly logger: Logger;
  /** Bound on a proclaim or release round trip. */
  readonly requestTimeoutMs: number;
  /**
   * The local deadline of the lease this term rests on (monotonic ms). Checked whenever
   * `signal` or `isLeader` is read, so that a process resumed after a pause learns of its
   * loss before its next action, even if that action's timer fires before the deadline's.
   */
  readonly validUntil: () => number;
}

/** Told once when a term ends, with why and (for a loss) what caused it. */
export type TermEndListener = (reason: EndReason, cause: unknown) => void;

/**
 * The one Leadership implementation every adapter returns. It owns the exactly-once end:
 * whatever ends a term first (resign, lease loss, the store reporting a new owner, close)
 * aborts `signal` and settles `ended`; later reports are ignored. After any end the key is
 * released with a guarded delete, so that a successor need not wait for a ttl.
 */
export class LeadershipTerm implements Leadership {
  readonly election: string;
  readonly id: string;
  readonly token: bigint;
  readonly ended: Promise<EndReason>;
  /** The adapter's logger, which the client's telemetry logs the term's election and end through. */
  readonly logger: Logger;
  private readonly controller = new AbortController();
  private readonly init: TermInit;
  private resolveEnded!: (reason: EndReason) => void;
  private releasing: Promise<void> | undefined;
  private endReason: EndReason | undefined;
  private endCause: unknown;
  private renewedBy: Lease | undefined;
  private readonly endListeners = new Set<TermEndListener>();

  constructor(init: TermInit) {
    this.init = init;
    this.election = init.election;
    this.id = init.id;
    this.token = init.token;
    this.logger = init.logger;
    this.ended = new Promise<EndReason>((resolve) => {
      this.resolveEnded = resolve;
    });
  }

  get signal(): AbortSignal {
    this.checkDeadline();
    return this.controller.signal;
  }

  get isLeader(): boolean {
    this.checkDeadline();
    return !this.controller.signal.aborted;
  }

  /** Ends the term for `reason` if it has not ended yet. Returns whether this call ended it. */
  end(reason: EndReason, cause?: unknown): boolean {
    if (this.controller.signal.aborted) return false;
    const error = new LeadershipLostError(reason, undefined, cause === undefined ? undefined : { cause });
    this.endReason = reason;
    this.endCause = cause;
    this.controller.abort(error);
    this.resolveEnded(reason);
    // The loss is logged, counted and published by the client's telemetry, once the term was
    // handed out: a term given back while it was being won was never anyone's leadership.
    for (const listener of this.endListeners) listener(reason, cause);
    this.endListeners.clear();
    this.releasing = this.release();
    return true;
  }

  /** The monotonic time (ms, `performance.now()`) until which this term may act. */
  get validUntil(): number {
    return this.init.validUntil();
  }

  /** For adapters: calls `listener` once when the term ends (at once if it has), to stop watching and renewing. */
  onEnd(listener: TermEndListener): void {
    if (this.endReason !== undefined) {
      listener(this.endReason, this.endCause);
      return;
    }
    this.endListeners.add(listener);
  }

  /** The lease whose renewals keep this term, once handed out on one: for health and renewal telemetry. */
  get lease(): Lease | undefined {
    return this.renewedBy;
  }

  /** Ties the term to the lease it rests on (handOutTerm does); the first one given stays. */
  restOn(lease: Lease): void {
    this.renewedBy ??= lease;
  }

  /**
   * Whether this leadership is healthy now, for a probe: renewals on time, the connection up,
   * not ended; with the age of the last confirmed renewal and the time left to the deadline.
   * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for a malformed `options`.
   */
  health(options?: HealthOptions): LeadershipHealth {
    const toleranceMs = validateHealthOptions(options);
    this.checkDeadline();
    return termHealth(
      {
        election: this.election,
        id: this.id,
        token: this.token,
        validUntil: this.validUntil,
        ended: this.endReason,
        lease: this.renewedBy,
      },
      toleranceMs,
    );
  }

  /** Resolves once the key release that followed the end has finished (or given up). */
  async settled(): Promise<void> {
    await this.releasing;
  }

  async proclaim(value: string): Promise<void> {
    validateValue(value);
    this.checkDeadline();
    this.throwIfEnded();
    try {
      await withTimeout(
        'proclaim',
        this.init.requestTimeoutMs,
        (signal) => this.init.actions.proclaim(value, signal),
        this.controller.signal,
      );
    } catch (error) {
      if (error instanceof LeadershipLostError) {
        this.end(error.reason, error);
        throw this.controller.signal.reason;
      }
      this.throwIfEnded();
      throw error;
    }
  }

  async resign(): Promise<void> {
    this.end('resigned');
    await this.releasing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.resign();
  }

  private checkDeadline(): void {
    if (!this.controller.signal.aborted && monotonicNow() >= this.init.validUntil()) this.end('expired');
  }

  private throwIfEnded(): void {
    if (this.controller.signal.aborted) throw this.controller.signal.reason;
  }

  private async release(): Promise<void> {
    try {
      await withTimeout('release', this.init.requestTimeoutMs, (signal) => this.init.actions.release(signal));
    } catch (error) {
      this.init.logger.debug(
        { election: this.election, token: String(this.token), err: error },
        'release failed; the key goes when its lease or ttl runs out',
      );
    }
  }
}
