import {
  type DisconnectPolicy,
  defaultSafetyMargin,
  type EndReason,
  type LeadershipTerm,
  Lease,
  type Logger,
  monotonicNow,
  type RenewOutcome,
  raceAbort,
} from '@baton/core/adapter';
import type { ElectionKeys } from './keys.js';
import { type CommandClient, renewScript } from './scripts.js';

/** Keys per script call: bounds how long one renewal blocks the server; the calls still share one round trip. */
const KEYS_PER_CALL = 1_000;

export interface RenewalGroupOptions {
  readonly client: CommandClient;
  /** On a Cluster a script may only touch one slot, so a tick sends one call per slot in use. */
  readonly cluster: boolean;
  readonly ttlMs: number;
  readonly onDisconnect: DisconnectPolicy;
  readonly logger: Logger;
  readonly label: string;
}

/** One held key in the group. Created before its term, so that the term can ask it for its deadline. */
export interface Membership {
  /** Monotonic time until which the key may be trusted: the lease's deadline, or its own until a renewal covered it. */
  validUntil(): number;
}

interface Member extends Membership {
  readonly keys: ElectionKeys;
  readonly token: string;
  /** When the request that acquired the key was sent (monotonic ms). */
  readonly sentAt: number;
  /** Acquisition send time + ttl - margin: the key's own deadline until a renewal including it is confirmed. */
  readonly ownDeadline: number;
  term: LeadershipTerm | undefined;
  lease: Lease | undefined;
  covered: boolean;
  coverTimer: NodeJS.Timeout | undefined;
}

/**
 * Redis has no session: every leader key carries its own PX ttl. To keep renewal traffic
 * flat, all the keys one client holds form one renewal group driven by one core Lease:
 * each tick runs one script call (per slot on a Cluster) that renews every held key against
 * its token and answers per key. A key that is gone or owned by someone else ends only its
 * own term ('deposed'); a failed round trip, a lost connection or the passing deadline ends
 * them all.
 *
 * The lease exists only while the group holds keys, and its deadline counts from the send
 * time of the last renewal the server confirmed (or of the acquisition that created it).
 * A key acquired while a renewal was already in flight is not covered by that renewal, so
 * until one renewal including it is confirmed it keeps its own deadline: acquisition send
 * time + ttl - margin.
 */
export class RenewalGroup {
  private readonly options: RenewalGroupOptions;
  private readonly margin: number;
  private readonly members = new Set<Member>();
  private lease: Lease | undefined;

  constructor(options: RenewalGroupOptions) {
    this.options = options;
    this.margin = defaultSafetyMargin(options.ttlMs);
  }

  /** The owner keys this client holds as leader. */
  get heldKeys(): string[] {
    return [...this.members].map((member) => member.keys.owner);
  }

  /** Monotonic time after which a key acquired by a request sent at `sentAt` must not be trusted. */
  acquisitionDeadline(sentAt: number): number {
    return sentAt + this.options.ttlMs - this.margin;
  }

  /** A membership for a key acquired by a request sent at `acquireSentAt`; `join` it with its term. */
  reserve(keys: ElectionKeys, token: string, acquireSentAt: number): Membership {
    const member: Member = {
      keys,
      token,
      sentAt: acquireSentAt,
      ownDeadline: this.acquisitionDeadline(acquireSentAt),
      term: undefined,
      lease: undefined,
      covered: false,
      coverTimer: undefined,
      validUntil: () => {
        if (!member.lease) return member.ownDeadline;
        return member.covered ? member.lease.deadline : Math.min(member.ownDeadline, member.lease.deadline);
      },
    };
    return member;
  }

  /**
   * Adds a freshly acquired key; its term ends with the group's lease or with its own renewal
   * result. Returns the lease whose renewals now keep the key (for core's health and renewal
   * telemetry), or undefined when the term had already ended.
   */
  join(membership: Membership, term: LeadershipTerm): Lease | undefined {
    const member = membership as Member;
    if (!term.isLeader) return undefined;
    let lease = this.lease;
    if (lease && !lease.isValid) {
      // Its deadline passed and the timer has not fired yet: end it now, so that it cannot
      // take the newcomer down with it.
      lease.lose(lease.lost ?? 'expired');
      lease = undefined;
    }
    member.term = term;
    this.members.add(member);
    term.onEnd(() => this.leave(member));
    if (!lease) {
      // A new lease counts from this key's acquisition: it covers the key from the start.
      lease = this.startLease(member.sentAt);
      this.lease = lease;
      member.lease = lease;
      member.covered = true;
      return lease;
    }
    member.lease = lease;
    if (lease.deadline <= member.ownDeadline) {
      member.covered = true;
      return lease;
    }
    member.coverTimer = setTimeout(() => term.end('expired'), Math.max(0, member.ownDeadline - monotonicNow()));
    return lease;
  }

  /** The connection carrying the renewals dropped; the lease applies the onDisconnect policy. */
  connectionLost(cause: unknown): void {
    this.lease?.connectionLost(cause);
  }

  /** Stops renewing; the terms were already ended by the client scope. */
  stop(): void {
    const lease = this.lease;
    this.lease = undefined;
    lease?.stop('closed');
    for (const member of this.members) clearTimeout(member.coverTimer);
    this.members.clear();
  }

  private leave(member: Member): void {
    clearTimeout(member.coverTimer);
    if (!this.members.delete(member) || this.members.size > 0) return;
    const lease = this.lease;
    this.lease = undefined;
    lease?.stop('closed');
  }

  private startLease(grantSentAt: number): Lease {
    const lease: Lease = new Lease({
      ttlMs: this.options.ttlMs,
      grantSentAt,
      safetyMarginMs: this.margin,
      onDisconnect: this.options.onDisconnect,
      logger: this.options.logger,
      label: this.options.label,
      renew: (signal) => this.renew(lease, signal),
    });
    lease.onLost((reason, cause) => this.onLeaseLost(lease, reason, cause));
    return lease;
  }

  private onLeaseLost(lease: Lease, reason: EndReason, cause: unknown): void {
    if (this.lease !== lease) return;
    this.lease = undefined;
    const members = [...this.members];
    this.members.clear();
    for (const member of members) {
      clearTimeout(member.coverTimer);
      member.term?.end(reason, cause);
    }
  }

  private async renew(lease: Lease, signal: AbortSignal): Promise<RenewOutcome> {
    const batch = [...this.members];
    if (batch.length === 0 || this.lease !== lease) return { kind: 'renewed' };
    const results = await raceAbort(this.renewKeys(batch), signal);
    batch.forEach((member, index) => {
      const result = results[index];
      if (result === 1) {
        member.covered = true;
        clearTimeout(member.coverTimer);
        member.coverTimer = undefined;
        return;
      }
      member.term?.end(
        'deposed',
        new Error(result === 0 ? 'the leader key is gone' : 'the leader key belongs to someone else'),
      );
    });
    return { kind: 'renewed' };
  }

  /** One renewal for every member, in as few script calls as the topology allows, all sent at once. */
  private async renewKeys(batch: readonly Member[]): Promise<number[]> {
    const groups = new Map<number, number[]>();
    batch.forEach((member, index) => {
      const group = this.options.cluster ? member.keys.slot : 0;
      let indexes = groups.get(group);
      if (!indexes) {
        indexes = [];
        groups.set(group, indexes);
      }
      indexes.push(index);
    });
    const calls: Promise<void>[] = [];
    const results = new Array<number>(batch.length).fill(0);
    for (const indexes of groups.values()) {
      for (let start = 0; start < indexes.length; start += KEYS_PER_CALL) {
        const chunk = indexes.slice(start, start + KEYS_PER_CALL);
        const members = chunk.map((index) => batch[index] as Member);
        calls.push(
          renewScript
            .run(
              this.options.client,
              members.map((member) => member.keys.owner),
              [this.options.ttlMs, ...members.map((member) => member.token)],
            )
            .then((reply) => {
              if (!Array.isArray(reply) || reply.length !== chunk.length) {
                throw new Error(`unexpected renewal reply: ${JSON.stringify(reply)}`);
              }
              chunk.forEach((index, i) => {
                results[index] = Number(reply[i]);
              });
            }),
        );
      }
    }
    await Promise.all(calls);
    return results;
  }
}
