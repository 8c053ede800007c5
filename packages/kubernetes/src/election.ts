import {
  BackendUnavailableError,
  backoffDelay,
  type CampaignPlan,
  ElectionBase,
  handOutTerm,
  type LeaderInfo,
  type LeaderSource,
  LeadershipLostError,
  LeadershipTerm,
  monotonicNow,
  type ResolvedCampaign,
  type RetryPolicy,
  raceAbort,
  sameLeader,
  sleep,
  toAbortError,
  Wakeup,
} from '@baton/core/adapter';
import type { V1Lease } from '@kubernetes/client-node';
import type { KubernetesElectionContext } from './context.js';
import { isConflict, isNotFound, kubernetesError } from './errors.js';
import { HeldLease } from './held-lease.js';
import { leaseNameOf } from './lease-name.js';
import {
  acquiredLease,
  type BatonLeader,
  leaderOf,
  proclaimedLease,
  recordOf,
  releasedLease,
  vacantLease,
  versionOf,
} from './lease-record.js';
import { LeaseObservation } from './observation.js';

/**
 * Waiters woken by one release wait up to this long, at random, before trying: they all heard
 * it at once, and only one update can succeed.
 */
const HERD_JITTER_MS = 15;
/** A signal for writes that must not be cut short by the caller: their outcome is needed either way. */
const UNCANCELLED = new AbortController().signal;

/**
 * An election on one Lease object, used as client-go's LeaseLock uses it. A candidate takes
 * the Lease with an update guarded by the resourceVersion it read, when nobody holds it or
 * when it has seen the holder's record unchanged for leaseDurationSeconds (on its own
 * monotonic clock); the resourceVersion it replaced is the fencing token. Waiters learn of a
 * release from the client's watch, and of an expiry from a timer set at what they saw.
 */
export class KubernetesElection extends ElectionBase<KubernetesElectionContext> {
  protected readonly retry: RetryPolicy = {
    // The API server is restarting, overloaded or out of reach: keep campaigning.
    isTransient: (error) => error instanceof BackendUnavailableError,
    backoff: (failures) => backoffDelay(failures, 100, 2_000),
  };
  /** The Lease's name, derived from the election's. */
  readonly leaseName: string;
  /** What this client has seen of the Lease, shared by its campaigns and observers. */
  private readonly observation = new LeaseObservation();

  constructor(context: KubernetesElectionContext, name: string) {
    super(context, name);
    this.leaseName = leaseNameOf(name);
  }

  protected plan({ id, value }: ResolvedCampaign, stop: AbortSignal): CampaignPlan {
    let wakeup = new Wakeup();
    let released = false;
    const unwatch = this.context.watch.subscribe(this.leaseName, {
      changed: (change) => {
        if (change) this.see(change.lease, change.deleted);
        released = change !== undefined && !change.deleted && recordOf(change.lease).holder === '';
        wakeup.wake();
      },
      broken: () => {
        released = false;
        wakeup.wake();
      },
    });
    return {
      attempt: async () => {
        wakeup = new Wakeup();
        if (released) {
          // The watch showed the release: take the Lease from that version, without a read.
          released = false;
          await sleep(Math.random() * HERD_JITTER_MS, stop);
        } else {
          await this.read(stop);
        }
        return this.tryToLead(id, value, wakeup, stop);
      },
      settle: () => unwatch(),
    };
  }

  protected async readLeader(signal: AbortSignal): Promise<LeaderInfo | undefined> {
    await this.read(signal);
    return this.leaderNow();
  }

  /**
   * Nudged by the watch when the leader may have changed (not on every renewal), and by a
   * timer when the holder runs out by client-go's rule, so that a crashed leader shows as a
   * vacancy once nobody could still trust it.
   */
  protected leaderSource(): LeaderSource {
    let expiry: NodeJS.Timeout | undefined;
    let nudge: (() => void) | undefined;
    const armExpiry = (): void => {
      clearTimeout(expiry);
      const at = this.observation.expiresAt;
      if (at !== undefined && nudge) expiry = setTimeout(nudge, Math.max(0, at - monotonicNow()) + 5);
    };
    return {
      read: async (signal) => {
        const leader = await this.readLeader(signal);
        armExpiry();
        return leader;
      },
      subscribe: async (changed, broken) => {
        nudge = changed;
        const unwatch = this.context.watch.subscribe(this.leaseName, {
          changed: (change) => {
            if (!change) return changed();
            const before = this.leaderNow();
            this.see(change.lease, change.deleted);
            if (change.deleted || !sameLeader(before, this.leaderNow())) changed();
            else armExpiry();
          },
          broken,
        });
        return () => {
          nudge = undefined;
          clearTimeout(expiry);
          unwatch();
        };
      },
    };
  }

  /** Decides on what the observation shows: take the Lease, create it, or wait for a change or an expiry. */
  private async tryToLead(
    id: string,
    value: string | undefined,
    wakeup: Wakeup,
    stop: AbortSignal,
  ): Promise<LeadershipTerm | undefined> {
    const lease = this.observation.current;
    const now = monotonicNow();
    if (!lease) {
      // Deleted under a holder that may not know yet: wait until it could no longer lead.
      const until = this.observation.lastHolderUntil;
      if (until > now) {
        await waitForChange(wakeup, until - now, stop);
        return undefined;
      }
      const created = await this.createVacant(stop);
      return created ? this.acquire(created, id, value, stop) : undefined;
    }
    const expiresAt = this.observation.expiresAt;
    if (expiresAt !== undefined && now < expiresAt) {
      await waitForChange(wakeup, expiresAt - now, stop);
      return undefined;
    }
    return this.acquire(lease, id, value, stop);
  }

  /**
   * Takes the Lease with an update guarded by its resourceVersion, which becomes the token.
   * Not cut short by `stop`: an update that lands after the caller gave up is released.
   */
  private async acquire(
    lease: V1Lease,
    id: string,
    value: string | undefined,
    stop: AbortSignal,
  ): Promise<LeadershipTerm | undefined> {
    const { api, durationSeconds } = this.context;
    const token = versionOf(lease);
    const leader: BatonLeader = value === undefined ? { holder: id, token } : { holder: id, token, value };
    const sentAt = monotonicNow();
    const pending = api.replace(acquiredLease(lease, leader, durationSeconds, new Date()), UNCANCELLED);
    let written: V1Lease;
    try {
      written = await raceAbort(pending, stop);
    } catch (error) {
      if (stop.aborted) {
        this.context.cleanup(pending.then((late) => this.giveBack(late, id, token)).catch(() => undefined));
        throw error;
      }
      // Someone else's update (or deletion) came first: read again and decide again.
      if (isConflict(error) || isNotFound(error)) return undefined;
      throw kubernetesError('taking the Lease', error);
    }
    this.see(written, false);
    return this.startTerm(
      new HeldLease({ api, lease: written, holder: id, token, acquiredAt: sentAt, seen: (l) => this.see(l, false) }),
      stop,
    );
  }

  private async startTerm(held: HeldLease, stop: AbortSignal): Promise<LeadershipTerm | undefined> {
    const { scope, logger, requestTimeoutMs, renewals, ttlMs } = this.context;
    // An acquisition that took most of a ttl (a slow server) is renewed before anything is
    // handed out, as leaseReadyForTerm does for a session.
    if (renewals.deadlineFor(held.renewedAt) - monotonicNow() < ttlMs / 2 && !(await renewals.renewNow(held, stop))) {
      this.context.cleanup(this.release(held, UNCANCELLED).catch(() => undefined));
      if (stop.aborted) throw toAbortError(stop);
      return undefined;
    }
    const term = new LeadershipTerm({
      election: this.name,
      id: held.holder,
      token: held.token,
      logger,
      requestTimeoutMs,
      validUntil: () => renewals.validUntil(held),
      actions: {
        proclaim: async (value, signal) => {
          try {
            await held.write(
              (lease) => proclaimedLease(lease, { holder: held.holder, token: held.token, value }),
              signal,
            );
          } catch (error) {
            throw kubernetesError('proclaiming', error);
          }
        },
        release: (signal) => this.release(held, signal),
      },
    });
    const lease = renewals.join(held, term);
    return handOutTerm(term, { scope, stop, ...(lease ? { lease } : {}) });
  }

  /** Clears the holder if the Lease is still ours, so that a waiter takes over at once; never a successor's. */
  private async release(held: HeldLease, signal: AbortSignal): Promise<void> {
    try {
      await held.write((lease) => releasedLease(lease, new Date()), signal);
    } catch (error) {
      if (error instanceof LeadershipLostError) return;
      throw error;
    }
  }

  /** Releases a Lease an abandoned campaign's update took after the caller stopped waiting. */
  private giveBack(lease: V1Lease, holder: string, token: bigint): Promise<void> {
    const { api } = this.context;
    this.see(lease, false);
    return this.release(
      new HeldLease({ api, lease, holder, token, acquiredAt: monotonicNow(), seen: (l) => this.see(l, false) }),
      UNCANCELLED,
    );
  }

  /**
   * A Lease nobody holds, for a name used for the first time; undefined when someone else
   * created it first, which is as good.
   */
  private async createVacant(stop: AbortSignal): Promise<V1Lease | undefined> {
    try {
      const created = await this.context.api.create(vacantLease(this.leaseName, this.name, new Date()), stop);
      this.see(created, false);
      return created;
    } catch (error) {
      if (isConflict(error)) return undefined;
      throw kubernetesError('creating the Lease', error);
    }
  }

  /** Reads the Lease into the observation. */
  private async read(signal: AbortSignal): Promise<void> {
    let lease: V1Lease | undefined;
    try {
      lease = await this.context.api.read(this.leaseName, signal);
    } catch (error) {
      throw kubernetesError('reading the Lease', error);
    }
    if (lease) this.observation.seen(lease);
    else this.observation.gone();
  }

  private see(lease: V1Lease, deleted: boolean): void {
    if (deleted) this.observation.gone(versionOf(lease));
    else this.observation.seen(lease);
  }

  /** The leader as this client sees it: nobody once the holder has run out by client-go's rule. */
  private leaderNow(): LeaderInfo | undefined {
    return this.observation.heldAt() ? leaderOf(this.observation.current) : undefined;
  }
}

/** Resolves when `wakeup` fires or after `ms`; rejects when `stop` aborts. */
async function waitForChange(wakeup: Wakeup, ms: number, stop: AbortSignal): Promise<void> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), Math.ceil(ms) + 1);
  try {
    await wakeup.wait(AbortSignal.any([stop, timeout.signal]));
  } catch (error) {
    if (stop.aborted) throw toAbortError(stop);
    if (!timeout.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
}
