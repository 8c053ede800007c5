import type { DisconnectPolicy } from '@baton/core';
import { monotonicNow, sleep } from '@baton/core/adapter';
import { type FaultContext, handOver, inject } from './faults.js';
import { type FaultKind, type FaultRecord, HANDOVER, type InjectedKind } from './history.js';
import type { Slot } from './pool.js';

const POLICIES: readonly DisconnectPolicy[] = ['abort', 'tolerate-until-deadline'];
/** With no leader for this long the run stops: the judge reports the fault that left none. */
const NO_LEADER_GIVE_UP_MS = 60_000;
/** Handovers in a row the nemesis makes at most to bring a leader of the policy that was hit less. */
const MAX_HANDOVERS = 3;

interface Turn {
  readonly kind: InjectedKind;
  readonly policy: DisconnectPolicy;
}

export interface NemesisPlan {
  readonly kinds: readonly InjectedKind[];
  /** Stop injecting at this monotonic time (ms)... */
  readonly until: number;
  /** ...or after this many injections, whichever comes first. */
  readonly maxInjections: number;
  readonly log: (line: string) => void;
}

/**
 * Injects faults one at a time into a settled election: it waits for a single leader that is
 * neither frozen nor killed and aims the next fault at it; after each fault it waits for a
 * settled leader again and lets it lead for a quiet time of 1-2 ttl (a term that ends in that
 * quiet is one nobody forced). Turns come from a deck of every (kind, policy) pair, shuffled by
 * the seed: the nemesis takes the first pair whose policy is the current leader's. When the
 * leader's policy has been hit more often than the other, it first asks the leader to resign (a
 * graceful handover, at once, at most three times in a row), so that both onDisconnect policies
 * lead through about as many faults.
 */
export class Nemesis {
  readonly faults: FaultRecord[] = [];
  private deck: Turn[] = [];
  private readonly replacements: Promise<void>[] = [];
  private readonly hits: Record<DisconnectPolicy, number> = { abort: 0, 'tolerate-until-deadline': 0 };

  constructor(private readonly ctx: FaultContext) {}

  async run(plan: NemesisPlan): Promise<void> {
    const { pool, random, ttlMs } = this.ctx;
    let injections = 0;
    let handovers = 0;
    // Every fault is followed by a quiet time under a settled leader, in which what the fault
    // left behind shows (a thawed leader losing its term, a successor's term ending by itself);
    // a handover needs none, and the next one or the next fault follows at once.
    let quiet = false;
    while (monotonicNow() < plan.until && injections < plan.maxInjections) {
      await Promise.all(this.replacements.splice(0));
      const leader = await this.settledLeader(plan.until);
      if (!leader) break;
      if (!quiet) {
        await sleep(random.between(ttlMs, 2 * ttlMs));
        quiet = true;
        continue;
      }
      const other = POLICIES.find((policy) => policy !== leader.policy) as DisconnectPolicy;
      const steer = this.hits[leader.policy] > this.hits[other] && handovers < MAX_HANDOVERS;
      handovers = steer ? handovers + 1 : 0;
      if (!steer) quiet = false;
      const kind: FaultKind = steer ? HANDOVER : this.draw(plan.kinds, leader.policy).kind;
      const leaderId = leader.current.id;
      const elected = [...leader.current.events].reverse().find((e) => e.event === 'elected');
      const leaderToken = BigInt(elected?.token ?? 0);
      const seq = this.faults.length + 1;
      const at = process.hrtime.bigint();
      try {
        const injection = kind === HANDOVER ? await handOver(this.ctx, leader) : await inject(this.ctx, kind, leader);
        this.faults.push({ seq, kind: kind, policy: leader.policy, leaderId, leaderToken, ...injection });
        if (kind !== HANDOVER) {
          injections++;
          this.hits[leader.policy]++;
          plan.log(`#${injections} ${kind} on ${leaderId} (${leader.policy}, token ${leaderToken})`);
        }
      } catch (error) {
        const failed = error instanceof Error ? error.message : String(error);
        const now = process.hrtime.bigint();
        this.faults.push({
          seq,
          kind: kind,
          policy: leader.policy,
          scope: 'process',
          leaderId,
          leaderToken,
          injectedAt: at,
          healedAt: now,
          owedFrom: now,
          boundMs: 0,
          detail: {},
          failed,
        });
        plan.log(`${kind} on ${leaderId} could not be injected: ${failed}`);
      }
      if (kind === 'leader-kill') this.replacements.push(pool.replace(leader));
    }
    await Promise.all(this.replacements.splice(0));
  }

  /** The next turn for a leader of `policy`: the first such pair left in the deck, which is refilled when it has none. */
  private draw(kinds: readonly InjectedKind[], policy: DisconnectPolicy): Turn {
    let index = this.deck.findIndex((turn) => turn.policy === policy);
    if (index < 0) {
      const all = kinds.flatMap((kind) => POLICIES.map((p) => ({ kind, policy: p })));
      this.deck.push(...this.ctx.random.shuffled(all));
      index = this.deck.findIndex((turn) => turn.policy === policy);
    }
    const [turn] = this.deck.splice(index, 1);
    if (!turn) throw new Error(`no fault kinds to draw from for ${policy}`);
    return turn;
  }

  /** Waits for one leader, neither frozen nor killed; undefined if the run's time is up first. */
  private async settledLeader(until: number): Promise<Slot | undefined> {
    const since = monotonicNow();
    for (;;) {
      const leader = this.ctx.pool.leader();
      if (leader) return leader;
      if (monotonicNow() >= until) return undefined;
      if (monotonicNow() - since > NO_LEADER_GIVE_UP_MS) {
        throw new Error(`no single leader for ${NO_LEADER_GIVE_UP_MS / 1_000} s`);
      }
      await sleep(10);
    }
  }
}
