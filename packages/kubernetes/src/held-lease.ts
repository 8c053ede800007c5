import { LeadershipLostError, monotonicNow } from '@baton/core/adapter';
import type { V1Lease } from '@kubernetes/client-node';
import { isConflict, isNotFound } from './errors.js';
import type { LeaseApi } from './lease-api.js';
import { isHeldBy, lossReason } from './lease-record.js';

/** A write to a held Lease and when it was sent. */
export interface Written {
  readonly lease: V1Lease;
  /** Monotonic time at which the request that succeeded was sent. */
  readonly sentAt: number;
}

export interface HeldLeaseInit {
  readonly api: LeaseApi;
  /** The Lease as the acquiring write returned it. */
  readonly lease: V1Lease;
  readonly holder: string;
  readonly token: bigint;
  /** When the acquiring write was sent (monotonic ms). */
  readonly acquiredAt: number;
  /** Told of every version of the Lease this leadership reads or writes. */
  readonly seen: (lease: V1Lease) => void;
}

/**
 * One Lease this client holds: its latest version, and its writes one at a time, each guarded
 * by the resourceVersion of the one before (renewal, proclaim, release). A write that finds the
 * Lease moved on reads it again: if it still names this holder with this token (our own write
 * whose reply was lost, an annotation someone else added) it is sent once more on the new
 * version; otherwise the leadership is over (LeadershipLostError).
 */
export class HeldLease {
  readonly name: string;
  readonly holder: string;
  readonly token: bigint;
  /** Monotonic send time of the last write that renewed the Lease (or acquired it). */
  renewedAt: number;
  private lease: V1Lease;
  private readonly api: LeaseApi;
  private readonly seen: (lease: V1Lease) => void;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(init: HeldLeaseInit) {
    this.api = init.api;
    this.lease = init.lease;
    this.name = init.lease.metadata?.name ?? '';
    this.holder = init.holder;
    this.token = init.token;
    this.renewedAt = init.acquiredAt;
    this.seen = init.seen;
  }

  /**
   * Sends `build(latest)` after the writes queued before it; resolves with what the server
   * stored and the send time of the request that stored it.
   * @throws LeadershipLostError when the Lease is gone or no longer ours.
   */
  write(build: (lease: V1Lease) => V1Lease, signal: AbortSignal): Promise<Written> {
    const run = (): Promise<Written> => this.send(build, signal);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async send(build: (lease: V1Lease) => V1Lease, signal: AbortSignal): Promise<Written> {
    for (let retried = false; ; retried = true) {
      const sentAt = monotonicNow();
      try {
        const lease = await this.api.replace(build(this.lease), signal, 'held');
        this.lease = lease;
        this.seen(lease);
        return { lease, sentAt };
      } catch (error) {
        if (isNotFound(error)) throw new LeadershipLostError('deposed', `the Lease ${this.name} was deleted`);
        if (!isConflict(error) || retried) throw error;
      }
      const fresh = await this.api.read(this.name, signal, 'held');
      if (fresh) this.seen(fresh);
      if (!isHeldBy(fresh, this.holder, this.token)) {
        throw new LeadershipLostError(
          lossReason(fresh),
          `the Lease ${this.name} ${fresh ? `is held by "${fresh.spec?.holderIdentity ?? ''}"` : 'was deleted'}`,
        );
      }
      this.lease = fresh as V1Lease;
    }
  }
}
