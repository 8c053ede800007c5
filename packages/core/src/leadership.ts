import type { EndReason } from './errors.js';
import type { HealthOptions, LeadershipHealth } from './health.js';

/** One term of leadership. It ends exactly once; after that it never leads again. */
export interface Leadership extends AsyncDisposable {
  readonly id: string;
  /** Fencing token: strictly greater than every earlier leadership's token of this election. */
  readonly token: bigint;
  /** Aborted, with a LeadershipLostError as reason, the moment leadership is no longer certain. */
  readonly signal: AbortSignal;
  /** Resolves, never rejects, with why the leadership ended. */
  readonly ended: Promise<EndReason>;
  readonly isLeader: boolean;
  /**
   * The monotonic time (ms on `performance.now()`'s clock) until which this leadership may
   * act: the send time of the last renewal the store confirmed, plus the ttl, minus a safety
   * margin. It moves forward with each confirmed renewal; past it, `signal` is aborted.
   */
  readonly validUntil: number;
  /**
   * Publishes a new value to observers; the token does not change.
   * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for a value that is not a string of at most 4096 bytes.
   * @throws LeadershipLostError (ERR_LEADERSHIP_LOST) when this leadership has ended.
   * @throws BackendUnavailableError (ERR_BACKEND_UNAVAILABLE) when the store did not confirm it in time.
   */
  proclaim(value: string): Promise<void>;
  /** Ends the leadership and hands over at once. Idempotent; never rejects. */
  resign(): Promise<void>;
  /**
   * Whether this leadership is healthy now, for a readiness or liveness probe: unhealthy when
   * a renewal is overdue by more than the tolerance, when the connection is lost (while
   * 'tolerate-until-deadline' rides it out), or once it ended; with the age of the last
   * confirmed renewal and the time left to the deadline.
   * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for a malformed `options`.
   */
  health(options?: HealthOptions): LeadershipHealth;
}
