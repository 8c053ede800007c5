/**
 * What the handover and throughput measures drive: one candidate on its own client. Baton
 * and each peer library are adapted to it, so that every number comes from the same loop.
 */
export interface Contender {
  /** Resolves when this contender holds leadership; returns the release. */
  acquire(signal?: AbortSignal): Promise<() => Promise<void>>;
}

export interface ContenderKit {
  /** e.g. "baton", "redlock". */
  readonly label: string;
  /** A candidate for `election` on a new client of its own. */
  contender(election: string, id: string): Promise<Contender>;
  /**
   * Calls `changed` with the leader's id whenever it changes; undefined when this library
   * has no way to observe (polling by the caller is not counted as observing).
   */
  observer?(election: string, changed: (id: string | undefined) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
