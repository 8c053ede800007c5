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
  /** The candidate's identity as observers see it; a random UUID when omitted. */
  readonly id?: string;
  /** The candidate's initial value, at most 4096 bytes of UTF-8. */
  readonly value?: string;
  /** Cancels the wait: `campaign()` rejects with AbortError and leaves nothing behind. */
  readonly signal?: AbortSignal;
}

export interface ObserveOptions {
  /** Ends the iteration. */
  readonly signal?: AbortSignal;
}

/** One named election on one backend. Cheap to create; holds no resources until used. */
export interface Election {
  readonly name: string;
  /** Waits until this candidate leads, then resolves with its leadership. */
  campaign(options?: CampaignOptions): Promise<Leadership>;
  /** The current leader, or undefined when there is none. */
  leader(): Promise<LeaderInfo | undefined>;
  /**
   * The current state first, then each change. Under fast churn intermediate states can
   * coalesce: an observer always converges on the latest state, never sees one twice in a row.
   */
  observe(options?: ObserveOptions): AsyncIterable<LeaderInfo | undefined>;
}
