import type { Leadership } from './leadership.js';

/**
 * Who leads an election, as observers see it. `JSON.stringify` gives the token as a decimal
 * string, e.g. `{"id":"worker-1","token":"42"}`; `BigInt(parsed.token)` reads it back.
 */
export interface LeaderInfo {
  readonly id: string;
  readonly value?: string;
  /** The leadership's fencing token; strictly increasing across leaderships of one election. */
  readonly token: bigint;
}

export interface CampaignOptions {
  /**
   * The candidate's identity as observers see it.
   * @default a random UUID
   */
  readonly id?: string;
  /**
   * The candidate's initial value, at most 4096 bytes of UTF-8.
   * @default no value
   */
  readonly value?: string;
  /**
   * Cancels the wait: `campaign()` rejects with AbortError and leaves nothing behind.
   * @default none: the campaign waits until it leads or the backend closes
   */
  readonly signal?: AbortSignal;
}

export interface ObserveOptions {
  /**
   * Ends the iteration.
   * @default none: the iteration ends when the backend closes
   */
  readonly signal?: AbortSignal;
}

/** One named election on one backend. Cheap to create; holds no resources until used. */
export interface Election {
  readonly name: string;
  /**
   * Waits until this candidate leads, then resolves with its leadership. Transient store
   * failures are retried inside; the wait has no timeout of its own (pass a `signal`).
   * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for a bad id, value or unknown option key, at once.
   * @throws AbortError when `options.signal` aborts.
   * @throws ClosedError (ERR_CLOSED) when the backend is or gets closed.
   * @throws AuthError (ERR_AUTH) when the store refuses the credentials.
   */
  campaign(options?: CampaignOptions): Promise<Leadership>;
  /**
   * The current leader, or undefined when there is none.
   * @throws BackendUnavailableError (ERR_BACKEND_UNAVAILABLE) when the store cannot be read in time.
   * @throws ClosedError (ERR_CLOSED) after the backend closed.
   */
  leader(): Promise<LeaderInfo | undefined>;
  /**
   * The current state first, then each change. Under fast churn intermediate states can
   * coalesce: an observer always converges on the latest state, never sees one twice in a row.
   */
  observe(options?: ObserveOptions): AsyncIterable<LeaderInfo | undefined>;
}
