import {
  type DisconnectPolicy,
  defaultSafetyMargin,
  type EndReason,
  LeadershipLostError,
  type LeadershipTerm,
  Lease,
  type Logger,
  monotonicNow,
  type RenewOutcome,
} from '@baton/core/adapter';
import type { HeldLease } from './held-lease.js';
import { renewedLease } from './lease-record.js';

export interface RenewalGroupOptions {
  readonly ttlMs: number;
  readonly onDisconnect: DisconnectPolicy;
  readonly logger: Logger;
  readonly label: string;
  /** Renewals in flight at once; the rest of a tick waits for a free slot. */
  readonly concurrency: number;
}

interface Member {
  readonly held: HeldLease;
  readonly term: LeadershipTerm;
  deadline: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The Leases one client holds, renewed together: one tick per client (every ttl/3, from one
 * core Lease), in which every held Lease gets its own update, a few at a time. Kubernetes has
 * no write that changes several objects, and client-go's observers judge each Lease by its
 * own record, so a tick costs one request per held Lease: the traffic grows with the
 * elections held, the timers and the scheduling do not.
 *
 * Each Lease keeps its own deadline, the send time of its last confirmed write + ttl - margin,
 * and its term ends there if no renewal was confirmed. A tick in which every update failed
 * without an answer is a lost connection to the group's Lease, which applies the client's
 * onDisconnect policy to all of them at once.
 */
export class RenewalGroup {
  private readonly options: RenewalGroupOptions;
  private readonly margin: number;
  private readonly members = new Map<HeldLease, Member>();
  private lease: Lease | undefined;
  private stopped = false;

  constructor(options: RenewalGroupOptions) {
    this.options = options;
    this.margin = defaultSafetyMargin(options.ttlMs);
  }

  /** The Lease names this client leads with. */
  get held(): string[] {
    return [...this.members.keys()].map((held) => held.name);
  }

  /** Monotonic time until which a Lease last written at `sentAt` may be trusted. */
  deadlineFor(sentAt: number): number {
    return sentAt + this.options.ttlMs - this.margin;
  }

  /** When `held`'s leadership must end at the latest: its own deadline, or the group's if sooner. */
  validUntil(held: HeldLease): number {
    const own = this.deadlineFor(held.renewedAt);
    const group = this.lease && this.members.has(held) ? this.lease.deadline : Number.POSITIVE_INFINITY;
    return Math.min(own, group);
  }

  /** Renews `held` now, alone: for a Lease whose acquisition was slow. Resolves with whether it was confirmed. */
  async renewNow(held: HeldLease, signal: AbortSignal): Promise<boolean> {
    try {
      const { sentAt } = await held.write((lease) => renewedLease(lease, new Date()), signal);
      if (sentAt < this.deadlineFor(held.renewedAt)) held.renewedAt = Math.max(held.renewedAt, sentAt);
      return this.deadlineFor(held.renewedAt) > monotonicNow();
    } catch (error) {
      this.options.logger.debug({ lease: held.name, err: error }, 'could not renew a Lease just acquired');
      return false;
    }
  }

  /**
   * Renews `held` with the others until its term ends. Returns the lease whose renewals now
   * keep it (for core's health and renewal telemetry), or undefined when nothing was joined.
   */
  join(held: HeldLease, term: LeadershipTerm): Lease | undefined {
    if (this.stopped || !term.isLeader) return undefined;
    let lease = this.lease;
    if (lease && !lease.isValid) {
      // Its deadline passed and its timer has not fired yet: end it now, so that it cannot
      // take the newcomer down with it.
      lease.lose(lease.lost ?? 'expired');
      lease = undefined;
    }
    const member: Member = { held, term, deadline: this.deadlineFor(held.renewedAt), timer: undefined };
    this.members.set(held, member);
    this.arm(member);
    term.onEnd(() => this.leave(held));
    if (!lease) {
      lease = this.startLease(held.renewedAt);
      this.lease = lease;
    }
    return lease;
  }

  /** Stops renewing; the terms were already ended by the client's close. */
  stop(): void {
    this.stopped = true;
    const lease = this.lease;
    this.lease = undefined;
    lease?.stop('closed');
    for (const member of this.members.values()) clearTimeout(member.timer);
    this.members.clear();
  }

  private leave(held: HeldLease): void {
    const member = this.members.get(held);
    if (!member) return;
    clearTimeout(member.timer);
    this.members.delete(held);
    if (this.members.size > 0) return;
    const lease = this.lease;
    this.lease = undefined;
    lease?.stop('closed');
  }

  /** Ends the member's term at its own deadline unless a renewal moves it first. */
  private arm(member: Member): void {
    clearTimeout(member.timer);
    member.timer = setTimeout(
      () => {
        member.timer = undefined;
        if (monotonicNow() < member.deadline) {
          this.arm(member);
          return;
        }
        member.term.end(this.lease && !this.lease.isValid ? 'connection-lost' : 'expired');
      },
      Math.max(0, Math.ceil(member.deadline - monotonicNow())),
    );
  }

  private startLease(grantSentAt: number): Lease {
    const lease: Lease = new Lease({
      ttlMs: this.options.ttlMs,
      grantSentAt,
      safetyMarginMs: this.margin,
      onDisconnect: this.options.onDisconnect,
      logger: this.options.logger,
      label: this.options.label,
      renew: (signal) => this.tick(lease, signal),
    });
    lease.onLost((reason, cause) => this.onLeaseLost(lease, reason, cause));
    return lease;
  }

  private onLeaseLost(lease: Lease, reason: EndReason, cause: unknown): void {
    if (this.lease !== lease) return;
    this.lease = undefined;
    const members = [...this.members.values()];
    this.members.clear();
    for (const member of members) {
      clearTimeout(member.timer);
      member.term.end(reason, cause);
    }
  }

  /** One tick: an update of every held Lease, `concurrency` at a time. */
  private async tick(lease: Lease, signal: AbortSignal): Promise<RenewOutcome> {
    const batch = [...this.members.values()];
    if (batch.length === 0 || this.lease !== lease) return { kind: 'renewed' };
    let next = 0;
    let answered = 0;
    let firstFailure: unknown;
    const worker = async (): Promise<void> => {
      while (next < batch.length && !signal.aborted) {
        const member = batch[next++] as Member;
        if (this.members.get(member.held) !== member) continue;
        const outcome = await this.renewOne(member, signal);
        if (outcome === 'unanswered') firstFailure ??= new Error(`no answer renewing the Lease ${member.held.name}`);
        else answered++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, batch.length) }, worker));
    // Not one update answered: the API server is out of reach, for all of them alike.
    if (answered === 0 && firstFailure !== undefined) throw firstFailure;
    return { kind: 'renewed' };
  }

  private async renewOne(member: Member, signal: AbortSignal): Promise<'renewed' | 'lost' | 'unanswered'> {
    try {
      const { sentAt } = await member.held.write((lease) => renewedLease(lease, new Date()), signal);
      // A reply to a request sent after the deadline passed does not bring the term back.
      if (this.members.get(member.held) !== member || sentAt >= member.deadline) return 'renewed';
      member.held.renewedAt = Math.max(member.held.renewedAt, sentAt);
      member.deadline = this.deadlineFor(member.held.renewedAt);
      return 'renewed';
    } catch (error) {
      if (error instanceof LeadershipLostError) {
        member.term.end(error.reason, error);
        return 'lost';
      }
      this.options.logger.debug({ lease: member.held.name, err: error }, 'a Lease renewal failed');
      return 'unanswered';
    }
  }
}
