import { readFile, writeFile } from 'node:fs/promises';
import type { CandidateRecord, FencedWrite } from '@baton/conformance';
import type { DisconnectPolicy } from '@baton/core';

/** Every fault the nemesis knows. A store that cannot take one says so in SoakStore.unsupported. */
export const FAULT_KINDS = [
  'leader-kill',
  'leader-pause-short',
  'leader-pause-long',
  'leader-blackhole',
  'leader-lost-replies',
  'leader-revoked',
  'leader-key-deleted',
  'store-restart',
  'store-pause',
  'campaign-in-paused-store',
  'member-loss',
] as const;
/**
 * A graceful handover the nemesis makes (the leader resigns, then campaigns again) when one
 * policy has led through more faults than the other: not a fault, not counted as an injection,
 * but recorded like one, and judged (no overlap across it, a successor within the bound).
 */
export const HANDOVER = 'leader-resign';
export type InjectedKind = (typeof FAULT_KINDS)[number];
export type FaultKind = InjectedKind | typeof HANDOVER;

/**
 * One injected fault, as the nemesis recorded it. Times are hrtime in ns (as decimal strings in
 * the saved file): the clock every process on the machine shares.
 */
export interface FaultRecord {
  readonly seq: number;
  readonly kind: FaultKind;
  /** The onDisconnect policy of the leader the fault was aimed at (or that led when the store was hit). */
  readonly policy: DisconnectPolicy;
  /** Whom it hit: one process, or the store (every process at once). */
  readonly scope: 'process' | 'store';
  /** The process that led when the fault began, and its term's token. */
  readonly leaderId: string;
  readonly leaderToken: bigint;
  /** The process the fault acted on, if not the leader (the waiter that campaigns in a frozen store). */
  readonly targetId?: string;
  readonly injectedAt: bigint;
  /** When the fault stopped acting (process or store thawed, proxy healed); injectedAt for an instant fault. */
  readonly healedAt: bigint;
  /**
   * From when a leader is owed: the injection for faults on the leader (a successor must come
   * while the old one is dead, frozen or cut off), the store being back for faults on the store.
   */
  readonly owedFrom: bigint;
  /** How long after owedFrom a leader must be elected (the store's declared worst case plus allowances), in ms. */
  readonly boundMs: number;
  /** Durations the nemesis drew, for the record: pause length, when the campaign began, etc. */
  readonly detail: Readonly<Record<string, number | string>>;
  /**
   * Set when the injection failed (an outside call refused): such a fault is not counted nor
   * owed a failover, but a term that ends while it was tried is not called unforced.
   */
  readonly failed?: string;
}

/** One candidate process as the history keeps it: the timeline reads it as it reads a live one. */
export interface ProcessRecord extends CandidateRecord {
  readonly slot: number;
  readonly policy: DisconnectPolicy;
}

export interface SoakMeta {
  readonly backend: string;
  readonly seed: number;
  /** Wall-clock time the run began (ISO 8601), for the results file. */
  readonly date: string;
  readonly ttlMs: number;
  readonly candidates: number;
  /** Servers of the store: 1, or the members of a cluster. */
  readonly members: number;
  readonly minutes: number;
  /** The store's declared worst-case failover (capabilities.worstCaseFailoverMs) at this ttl. */
  readonly worstCaseFailoverMs: number;
  /** capabilities.fencing.regression: when the store says tokens can go back. */
  readonly declaredRegression: string;
  /** Fault kinds that bring about the circumstance the store declares for a regression, in this setup. */
  readonly regressiveFaults: readonly FaultKind[];
  readonly startedAt: bigint;
  /** When the nemesis stopped and the candidates were told to exit: terms ending after it are not judged as unforced. */
  readonly stoppingAt: bigint;
  readonly endedAt: bigint;
  /** Fault kinds this store cannot take here, with the reason. */
  readonly unsupported: Readonly<Partial<Record<FaultKind, string>>>;
  /** A checkpoint taken while the run went on: the run was cut off after it if nothing replaced it. */
  readonly partial?: boolean;
}

/** Everything the judge needs, and nothing of the live run: it can be saved and judged again later. */
export interface SoakHistory {
  readonly meta: SoakMeta;
  readonly processes: readonly ProcessRecord[];
  /** In the order the resource received them. */
  readonly writes: readonly FencedWrite[];
  /** Every fault tried, failed ones included (see FaultRecord.failed). */
  readonly faults: readonly FaultRecord[];
  /** Why the run ended early, if it did (no leader for a long time, a store that would not start again). */
  readonly aborted?: string;
}

// bigint has no JSON form: saved as a decimal string under a marker, revived on load.
const BIGINT = /^(-?\d+)n$/;

export async function saveHistory(path: string, history: SoakHistory): Promise<void> {
  const text = JSON.stringify(history, (_key, value: unknown) =>
    typeof value === 'bigint' ? `${value.toString()}n` : value,
  );
  await writeFile(path, text);
}

export async function loadHistory(path: string): Promise<SoakHistory> {
  const text = await readFile(path, 'utf8');
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'string') {
      const match = BIGINT.exec(value);
      if (match?.[1]) return BigInt(match[1]);
    }
    return value;
  }) as SoakHistory;
}
