/**
 * What the handover and throughput measures drive: one candidate on its own client. Baton
 * and each peer library are adapted to it, so that every number comes from the same loop.
 */
export interface Contender {
  /**
   * Resolves when this contender holds leadership; returns the release. `onLost` is
   * called if the library learns that leadership was lost while held.
   */
  acquire(signal?: AbortSignal, onLost?: () => void): Promise<() => Promise<void>>;
}

export interface ContenderKit {
  /** e.g. "baton", "redlock". */
  readonly label: string;
  /**
   * How long a candidate that starts waiting needs to reach its steady waiting state, when
   * that is longer than the default 10 ms. The handover measure holds at least this long,
   * so that it times a waiter as it is in real use: waiting since long before the release.
   */
  readonly settleMs?: number;
  /**
   * A polling library's longest retry interval. The handover measure spreads its hold
   * over it, so that the release lands at a random phase of the waiter's timer.
   */
  readonly retryEveryMs?: number;
  /** A candidate for `election` on a new client of its own. */
  contender(election: string, id: string): Promise<Contender>;
  /**
   * Calls `changed` with the leader's id whenever it changes; undefined when this library
   * has no way to observe (polling by the caller is not counted as observing).
   */
  observer?(election: string, changed: (id: string | undefined) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
