import { type FencedWrite, type HeldSpan, heldSpans } from '@baton/conformance';
import type { DisconnectPolicy } from '@baton/core';
import { type Summary, summarize } from '../../bench/src/stats.js';
import { type FaultKind, type FaultRecord, HANDOVER, type ProcessRecord, type SoakHistory } from './history.js';

/** One leadership as its process reported it: from 'elected' to 'lost', or to the SIGKILL that ended the process. */
export interface Term {
  readonly id: string;
  readonly policy: DisconnectPolicy;
  readonly token: bigint;
  readonly from: bigint;
  /** When it ended: the loss (stamped when its signal aborted) or the kill; undefined if it held to the end. */
  readonly end: bigint | undefined;
  readonly how: 'lost' | 'killed' | 'held';
  readonly reason?: string;
}

export interface Overlap {
  readonly first: HeldSpan;
  readonly second: HeldSpan;
  readonly ms: number;
}

export interface Regression {
  readonly earlier: Term;
  readonly later: Term;
  /** A fault that brings about what the store declares as a cause of regression happened between them. */
  readonly declared: boolean;
}

/** How the election came back after one fault. */
export interface Failover {
  readonly seq: number;
  readonly kind: FaultKind;
  readonly policy: DisconnectPolicy;
  /**
   * 'elected': a leader (maybe the same process, with a new term) after `ms`; 'rode-out': the
   * leader kept its term through the fault; 'none': no leader within the bound before the run
   * ended; 'unfinished': the run ended before the bound passed.
   */
  readonly outcome: 'elected' | 'rode-out' | 'none' | 'unfinished';
  /** From the fault's owedFrom to the next leader's election (0 if elected before it). */
  readonly ms?: number;
  readonly boundMs: number;
  /** Over the bound, or no leader at all: a liveness failure. */
  readonly late: boolean;
}

export interface UnforcedEnd {
  readonly id: string;
  readonly token: bigint;
  readonly heldMs: number;
  readonly reason: string;
}

export interface Verdict {
  /** Faults injected (handovers made to steer the policies are not faults). */
  readonly injections: number;
  /** Injections per kind, per policy of the leader they hit. */
  readonly byKind: Partial<Record<FaultKind, Record<DisconnectPolicy, number>>>;
  /** Two processes held leadership at one instant (spans end at a frozen process's own deadline). */
  readonly overlaps: Overlap[];
  /**
   * Overlaps that follow the store being told to forget its leader (its key deleted, its lease
   * or session ended from outside): nothing can stop the old leader believing until the store's
   * word reaches it, which is what the fence is for. Reported with their length; failed only
   * when one lasts longer than a ttl (the old leader did not hear in time: a watch or a renewal
   * that should have told it did not).
   */
  readonly forgottenOverlaps: Overlap[];
  readonly forgottenTooLong: Overlap[];
  /** Writes the resource accepted after it had accepted a higher token: the fence failed. */
  readonly acceptedStaleWrites: FencedWrite[];
  readonly regressions: Regression[];
  /**
   * Writes that reached the resource after a leader with a greater token was elected: how many
   * the fence refused, and how many it accepted because the successor had not written yet
   * (in order for the resource: no higher token had reached it).
   */
  readonly lateWrites: {
    readonly attempted: number;
    readonly refused: number;
    readonly acceptedBeforeSuccessor: number;
  };
  /** Writes sent late on purpose (a frozen leader's write after it thawed): how many, how many refused. */
  readonly staleProbes: { readonly sent: number; readonly refused: number };
  readonly failovers: Failover[];
  /** Failover time per kind (elections only), in ms. */
  readonly failoverByKind: Partial<Record<FaultKind, Summary & { readonly rodeOut: number }>>;
  /** Terms that ended with the store healthy and no fault on their process while they were held. */
  readonly unforcedEnds: UnforcedEnd[];
  /** Campaigns meant to start inside a store freeze, and how many did. */
  readonly campaignsInFreeze: { readonly meant: number; readonly started: number };
  readonly terms: number;
  readonly writes: number;
  /** Injections tried that failed, and why the run ended early, if it did. */
  readonly failedInjections: number;
  readonly aborted?: string;
}

const ms = (ns: bigint): number => Number(ns) / 1e6;
// Math.min and Math.max take no bigint.
const minBig = (a: bigint, b: bigint): bigint => (b < a ? b : a);
const maxBig = (a: bigint, b: bigint): bigint => (b > a ? b : a);

/** Every term of every process, in election order. */
export function termsOf(processes: readonly ProcessRecord[]): Term[] {
  const terms: Term[] = [];
  for (const process of processes) {
    const kills = process.signals.filter((s) => s.signal === 'SIGKILL').map((s) => BigInt(s.at));
    let open: { token: bigint; from: bigint } | undefined;
    const close = (end: bigint | undefined, how: Term['how'], reason?: string): void => {
      if (!open) return;
      terms.push({ id: process.id, policy: process.policy, ...open, end, how, ...(reason ? { reason } : {}) });
      open = undefined;
    };
    for (const event of process.events) {
      const at = BigInt(event.at);
      if (event.event === 'elected' && event.token) {
        open = { token: BigInt(event.token), from: at };
      } else if (event.event === 'lost' && open) {
        close(at, 'lost', event.reason ?? 'unknown');
      }
    }
    const killed = kills.find((k) => open && k > open.from);
    close(killed, killed === undefined ? 'held' : 'killed');
  }
  return terms.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
}

function overlapsOf(spans: readonly HeldSpan[]): Overlap[] {
  const found: Overlap[] = [];
  let latest: HeldSpan | undefined;
  for (const span of spans) {
    if (latest && latest.id !== span.id && latest.to > span.from) {
      found.push({ first: latest, second: span, ms: ms(minBig(latest.to, span.to) - span.from) });
    }
    if (!latest || span.to > latest.to) latest = span;
  }
  return found;
}

/** Faults that make the store forget its leader behind its back. */
const FORGETTING: readonly FaultKind[] = ['leader-key-deleted', 'leader-revoked'];

/** Whether an overlap began after the store was made to forget the earlier leader's term. */
function afterForgetting(overlap: Overlap, faults: readonly FaultRecord[]): boolean {
  return faults.some(
    (f) =>
      FORGETTING.includes(f.kind) &&
      f.leaderId === overlap.first.id &&
      f.leaderToken === overlap.first.token &&
      f.injectedAt < overlap.second.from,
  );
}

function regressionsOf(terms: readonly Term[], faults: readonly FaultRecord[], regressive: readonly FaultKind[]) {
  const found: Regression[] = [];
  let highest: Term | undefined;
  for (const term of terms) {
    if (highest && term.token <= highest.token) {
      const earlier = highest;
      const declared = faults.some(
        (f) => regressive.includes(f.kind) && f.injectedAt > earlier.from && f.injectedAt < term.from,
      );
      found.push({ earlier, later: term, declared });
    }
    if (!highest || term.token > highest.token) highest = term;
  }
  return found;
}

function acceptedStale(writes: readonly FencedWrite[]): FencedWrite[] {
  let highest: bigint | undefined;
  const found: FencedWrite[] = [];
  for (const write of writes) {
    if (!write.accepted) continue;
    if (highest !== undefined && write.token < highest) found.push(write);
    if (highest === undefined || write.token > highest) highest = write.token;
  }
  return found;
}

/** For each write, whether a leader with a greater token had been elected when it reached the resource. */
function lateWritesOf(terms: readonly Term[], writes: readonly FencedWrite[]) {
  // Terms by token, each with the earliest election among it and every greater token.
  const byToken = [...terms].sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
  const earliestFrom: bigint[] = new Array(byToken.length);
  for (let i = byToken.length - 1; i >= 0; i--) {
    const from = (byToken[i] as Term).from;
    const after = earliestFrom[i + 1];
    earliestFrom[i] = after === undefined ? from : minBig(after, from);
  }
  const successorElectedAt = (token: bigint): bigint | undefined => {
    let lo = 0;
    let hi = byToken.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((byToken[mid] as Term).token > token) hi = mid;
      else lo = mid + 1;
    }
    return earliestFrom[lo];
  };
  let attempted = 0;
  let refused = 0;
  let acceptedBeforeSuccessor = 0;
  for (const write of writes) {
    const successor = successorElectedAt(write.token);
    if (successor === undefined || write.at <= successor) continue;
    attempted++;
    if (write.accepted) acceptedBeforeSuccessor++;
    else refused++;
  }
  return { attempted, refused, acceptedBeforeSuccessor };
}

function failoverOf(fault: FaultRecord, next: bigint, terms: readonly Term[], ttlMs: number, endAt: bigint): Failover {
  const base = { seq: fault.seq, kind: fault.kind, policy: fault.policy, boundMs: fault.boundMs };
  const old = terms.find((t) => t.id === fault.leaderId && t.token === fault.leaderToken);
  const healed = maxBig(fault.healedAt, fault.owedFrom);
  // Kept its term a ttl past the fault's end (it renewed against a healthy store), or until the
  // next fault or handover acted on it: no failover.
  if (old && (old.end === undefined || old.end >= next || old.end > healed + BigInt(ttlMs * 1e6))) {
    const successor = terms.find((t) => t.from > fault.injectedAt && t.from < next && t !== old);
    if (!successor) return { ...base, outcome: 'rode-out', late: false };
  }
  const successor = terms.find((t) => t.from > fault.injectedAt && t !== old);
  const owedBy = fault.owedFrom + BigInt(fault.boundMs * 1e6);
  if (!successor) {
    return endAt > owedBy ? { ...base, outcome: 'none', late: true } : { ...base, outcome: 'unfinished', late: false };
  }
  const wait = Math.max(0, ms(successor.from - fault.owedFrom));
  return { ...base, outcome: 'elected', ms: wait, late: wait > fault.boundMs };
}

/** A term's end is forced when a fault on its process, or on the store, acted while it was held. */
function unforcedEndsOf(terms: readonly Term[], faults: readonly FaultRecord[], stoppingAt: bigint): UnforcedEnd[] {
  return terms
    .filter((t) => t.how === 'lost' && t.end !== undefined && t.end < stoppingAt)
    .filter(
      (t) =>
        !faults.some(
          (f) =>
            (f.scope === 'store' || f.leaderId === t.id || f.targetId === t.id) &&
            f.injectedAt <= (t.end as bigint) &&
            f.healedAt >= t.from,
        ),
    )
    .map((t) => ({ id: t.id, token: t.token, heldMs: ms((t.end as bigint) - t.from), reason: t.reason ?? 'unknown' }));
}

function campaignsInFreeze(history: SoakHistory): Verdict['campaignsInFreeze'] {
  const meant = history.faults.filter((f) => f.kind === 'campaign-in-paused-store');
  const started = meant.filter((f) =>
    history.processes
      .find((p) => p.id === f.targetId)
      ?.events.some((e) => e.event === 'campaigning' && BigInt(e.at) > f.injectedAt && BigInt(e.at) < f.healedAt),
  );
  return { meant: meant.length, started: started.length };
}

/**
 * The independent judge: reads only the recorded history (what each process said and when,
 * what the resource received, what the nemesis did), never the live run.
 */
export function judge(history: SoakHistory): Verdict {
  const { meta, processes, writes } = history;
  const faults = history.faults.filter((f) => f.failed === undefined);
  const terms = termsOf(processes);
  const overlaps = overlapsOf(heldSpans(processes, meta.endedAt));
  const byKind: Verdict['byKind'] = {};
  for (const fault of faults) {
    const counts = byKind[fault.kind] ?? { abort: 0, 'tolerate-until-deadline': 0 };
    counts[fault.policy]++;
    byKind[fault.kind] = counts;
  }
  const failovers = faults.map((fault, i) =>
    failoverOf(fault, faults[i + 1]?.injectedAt ?? meta.stoppingAt, terms, meta.ttlMs, meta.stoppingAt),
  );
  const failoverByKind: Verdict['failoverByKind'] = {};
  for (const kind of new Set(faults.map((f) => f.kind))) {
    const ofKind = failovers.filter((f) => f.kind === kind);
    const samples = ofKind.flatMap((f) => (f.outcome === 'elected' && f.ms !== undefined ? [f.ms] : []));
    failoverByKind[kind] = { ...summarize(samples), rodeOut: ofKind.filter((f) => f.outcome === 'rode-out').length };
  }
  const stale = writes.filter((w) => w.stale);
  return {
    injections: faults.filter((f) => f.kind !== HANDOVER).length,
    byKind,
    overlaps: overlaps.filter((o) => !afterForgetting(o, faults)),
    forgottenOverlaps: overlaps.filter((o) => afterForgetting(o, faults)),
    forgottenTooLong: overlaps.filter((o) => afterForgetting(o, faults) && o.ms > meta.ttlMs),
    acceptedStaleWrites: acceptedStale(writes),
    regressions: regressionsOf(terms, faults, meta.regressiveFaults),
    lateWrites: lateWritesOf(terms, writes),
    staleProbes: { sent: stale.length, refused: stale.filter((w) => !w.accepted).length },
    failovers,
    failoverByKind,
    unforcedEnds: unforcedEndsOf(terms, history.faults, meta.stoppingAt),
    campaignsInFreeze: campaignsInFreeze(history),
    terms: terms.length,
    writes: writes.length,
    failedInjections: history.faults.length - faults.length,
    ...(history.aborted === undefined ? {} : { aborted: history.aborted }),
  };
}

/** What fails a soak: the safety and liveness findings. Unforced ends fail it only when asked. */
export function violations(verdict: Verdict, options: { readonly unforcedEnds: boolean }): string[] {
  const found: string[] = [];
  if (verdict.overlaps.length > 0) found.push(`${verdict.overlaps.length} overlapping leaderships`);
  if (verdict.forgottenTooLong.length > 0) {
    found.push(`${verdict.forgottenTooLong.length} leaders still leading a ttl after the store forgot them`);
  }
  if (verdict.acceptedStaleWrites.length > 0) found.push(`${verdict.acceptedStaleWrites.length} accepted stale writes`);
  const undeclared = verdict.regressions.filter((r) => !r.declared);
  if (undeclared.length > 0) found.push(`${undeclared.length} undeclared token regressions`);
  const late = verdict.failovers.filter((f) => f.late);
  if (late.length > 0) found.push(`${late.length} liveness failures (no leader within the bound)`);
  if (verdict.aborted !== undefined) found.push(`the run ended early: ${verdict.aborted}`);
  if (options.unforcedEnds && verdict.unforcedEnds.length > 0) {
    found.push(`${verdict.unforcedEnds.length} unforced term ends`);
  }
  return found;
}
