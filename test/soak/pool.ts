import { CandidateProcess, type FaultMode, FaultProxy } from '@baton/conformance';
import type { DisconnectPolicy } from '@baton/core';
import type { ProcessRecord } from './history.js';
import type { SoakStore } from './stores/index.js';

/** One place in the pool: a candidate process behind its own proxies (one per store member). */
export interface Slot {
  readonly index: number;
  readonly policy: DisconnectPolicy;
  readonly proxies: readonly FaultProxy[];
  /** The process in this slot now; a killed one is replaced by a fresh process. */
  current: CandidateProcess;
  /** How many processes this slot has run: c3, then c3.1, c3.2 after kills. */
  generation: number;
  /** SIGSTOPped by the nemesis and not yet continued. */
  frozen: boolean;
  killed: boolean;
}

export interface PoolOptions {
  readonly size: number;
  readonly ttlMs: number;
  readonly election: string;
  readonly resourceUrl: string;
}

/**
 * The candidate processes of one soak, all in one election. Even slots run with
 * `onDisconnect: 'abort'`, odd slots with 'tolerate-until-deadline': both policies are in every
 * election at once, and each fault is aimed at a leader of the policy its turn calls for.
 * Every process reaches the store through proxies of its own, so that one leader can be cut off
 * (blackhole) or deafened (lost replies) while the others keep their links.
 */
export class CandidatePool {
  readonly slots: Slot[] = [];
  /** Every process the pool ever ran, killed ones included, in start order. */
  private readonly everyProcess: { readonly slot: Slot; readonly process: CandidateProcess }[] = [];

  private constructor(
    private readonly store: SoakStore,
    private readonly options: PoolOptions,
  ) {}

  static async start(store: SoakStore, options: PoolOptions): Promise<CandidatePool> {
    const pool = new CandidatePool(store, options);
    try {
      for (let index = 0; index < options.size; index++) {
        const proxies = await Promise.all(store.members.map((m) => FaultProxy.start(m.host, m.port)));
        const policy: DisconnectPolicy = index % 2 === 0 ? 'abort' : 'tolerate-until-deadline';
        const current = await pool.spawn(index, policy, proxies, 0);
        const slot: Slot = { index, policy, proxies, current, generation: 0, frozen: false, killed: false };
        pool.everyProcess.push({ slot, process: current });
        pool.slots.push(slot);
      }
    } catch (error) {
      await pool.stop();
      throw error;
    }
    return pool;
  }

  private spawn(
    index: number,
    policy: DisconnectPolicy,
    proxies: readonly FaultProxy[],
    generation: number,
  ): Promise<CandidateProcess> {
    return CandidateProcess.start({
      url: this.store.urlVia(proxies.map((proxy) => ({ host: proxy.host, port: proxy.port }))),
      ttlMs: this.options.ttlMs,
      election: this.options.election,
      id: generation === 0 ? `c${index}` : `c${index}.${generation}`,
      resourceUrl: this.options.resourceUrl,
      onDisconnect: policy,
    });
  }

  /** The one slot whose process leads now and is neither frozen nor killed; undefined if none or several. */
  leader(): Slot | undefined {
    const leading = this.slots.filter((slot) => !slot.killed && !slot.frozen && slot.current.isLeaderNow());
    return leading.length === 1 ? leading[0] : undefined;
  }

  /** Slots that are not leading now, alive and not frozen. */
  waiters(): Slot[] {
    return this.slots.filter((slot) => !slot.killed && !slot.frozen && !slot.current.isLeaderNow());
  }

  kill(slot: Slot): void {
    slot.killed = true;
    slot.current.signal('SIGKILL');
  }

  /** A fresh process in the slot of a killed one, on the same proxies and policy. */
  async replace(slot: Slot): Promise<void> {
    await slot.current.exited;
    slot.generation++;
    slot.current = await this.spawn(slot.index, slot.policy, slot.proxies, slot.generation);
    this.everyProcess.push({ slot, process: slot.current });
    slot.killed = false;
  }

  freeze(slot: Slot): void {
    slot.frozen = true;
    slot.current.signal('SIGSTOP');
  }

  thaw(slot: Slot): void {
    slot.current.signal('SIGCONT');
    slot.frozen = false;
  }

  setLinks(slot: Slot, mode: FaultMode): void {
    for (const proxy of slot.proxies) proxy.setMode(mode);
  }

  /** Back to passing traffic, every connection reset so that the client reconnects afresh. */
  healLinks(slot: Slot): void {
    for (const proxy of slot.proxies) {
      proxy.setMode('pass');
      proxy.resetConnections();
    }
  }

  /** What the history keeps of every process. */
  records(): ProcessRecord[] {
    return this.everyProcess.map(({ slot, process }) => ({
      id: process.id,
      slot: slot.index,
      policy: slot.policy,
      events: process.events,
      signals: process.signals,
    }));
  }

  /** Tells every process to resign and exit (killing those that do not), then closes the proxies. */
  async stop(): Promise<void> {
    for (const slot of this.slots) if (slot.frozen) this.thaw(slot);
    await Promise.allSettled(this.slots.map((slot) => slot.current.stop()));
    await Promise.allSettled(this.slots.flatMap((slot) => slot.proxies.map((proxy) => proxy.stop())));
  }

  /** The stderr of each live process, for a report when something went wrong. */
  stderr(): string {
    return this.slots.map((slot) => `--- ${slot.current.id}:\n${slot.current.stderrText.slice(-1_500)}`).join('\n');
  }
}
