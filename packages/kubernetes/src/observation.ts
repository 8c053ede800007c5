import { monotonicNow } from '@baton/core/adapter';
import type { V1Lease } from '@kubernetes/client-node';
import { fingerprint, recordOf, versionOf } from './lease-record.js';

/**
 * What one client has seen of one Lease, and when, for client-go's rule of expiry: an observer
 * notes the time, on its own monotonic clock, at which it saw the record (holder, duration,
 * times, transitions) change, and holds the Lease valid until that time plus the record's
 * leaseDurationSeconds. Clocks of other machines are never compared: renewTime only ever
 * counts as changed or not. Reads, watch events and the client's own writes all feed it;
 * one older than what was already seen (a late watch event) is ignored.
 */
export class LeaseObservation {
  private lease: V1Lease | undefined;
  private known = false;
  /** The highest resourceVersion seen, of the Lease or of its deletion. */
  private version = 0n;
  private print: string | undefined;
  private changedAt = 0;
  private holderUntil = Number.NEGATIVE_INFINITY;

  /** The Lease as last seen; undefined when it was seen absent, or never seen. */
  get current(): V1Lease | undefined {
    return this.lease;
  }

  /** Records the Lease as read, watched or written at monotonic time `at`. Returns whether the record changed. */
  seen(lease: V1Lease, at = monotonicNow()): boolean {
    const version = versionOf(lease);
    if (this.known && version < this.version) return false;
    this.known = true;
    this.version = version;
    this.lease = lease;
    const print = fingerprint(lease);
    if (print === this.print) return false;
    this.print = print;
    this.changedAt = at;
    const { holder, durationSeconds } = recordOf(lease);
    this.holderUntil = holder === '' ? Number.NEGATIVE_INFINITY : at + durationSeconds * 1_000;
    return true;
  }

  /**
   * Records that the Lease is gone: a read found none (no version), or a watch saw its deletion
   * at `version`. Returns whether that is news.
   */
  gone(version?: bigint, at = monotonicNow()): boolean {
    if (version !== undefined) {
      if (this.known && version < this.version) return false;
      this.version = version;
    }
    const news = !this.known || this.lease !== undefined;
    this.known = true;
    this.lease = undefined;
    if (news) {
      this.print = undefined;
      this.changedAt = at;
    }
    return news;
  }

  /** When the holder last seen runs out by client-go's rule; undefined when nobody holds the Lease. */
  get expiresAt(): number | undefined {
    if (!this.lease) return undefined;
    const { holder, durationSeconds } = recordOf(this.lease);
    return holder === '' ? undefined : this.changedAt + durationSeconds * 1_000;
  }

  /** Whether a holder is seen and has not run out at `now`. */
  heldAt(now = monotonicNow()): boolean {
    const expiresAt = this.expiresAt;
    return expiresAt !== undefined && now < expiresAt;
  }

  /**
   * Until when a Lease found deleted is left alone: the holder last seen may not have heard of
   * the deletion, and believes it leads until its own deadline, which is before this time.
   */
  get lastHolderUntil(): number {
    return this.holderUntil;
  }
}
