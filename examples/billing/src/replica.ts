import type { HoldPoint } from './worker.js';

/**
 * One billing worker as the driver sees it, whether it runs in this process (memory) or in
 * its own (real backends). The faults are the two a leader suffers in production.
 */
export interface Replica {
  readonly id: string;
  /** Makes the worker stop at `point` of its next invoice and report 'holding'. */
  holdAt(point: HoldPoint): void;
  /** Dies on the spot: releases nothing; its session lapses after the ttl. */
  crash(): Promise<void>;
  /** Stops running, mid-invoice, without knowing it; its session lapses after the ttl. */
  freeze(): Promise<void>;
  /** Runs again from exactly where it stopped, with the leadership it believed it had. */
  thaw(): Promise<void>;
  /** Graceful shutdown: resigns, closes its clients. Bounded in time. */
  stop(): Promise<void>;
}
