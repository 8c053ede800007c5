import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DisconnectPolicy } from '@baton/core';
import { machine } from '../../bench/src/report.js';
import type { FaultKind, SoakHistory, SoakMeta } from './history.js';
import type { Verdict } from './judge.js';

/** One run, as the results file keeps it: counts, and the raw failover samples so runs can be pooled. */
export interface RunSummary
  extends Pick<
    SoakMeta,
    'backend' | 'seed' | 'date' | 'ttlMs' | 'candidates' | 'members' | 'minutes' | 'worstCaseFailoverMs'
  > {
  readonly injections: number;
  readonly byKind: Verdict['byKind'];
  readonly overlaps: number;
  /** Overlaps after the store was told to forget its leader: how many, and the longest in ms. */
  readonly forgottenOverlaps: { readonly n: number; readonly maxMs: number };
  readonly acceptedStaleWrites: number;
  readonly regressions: { readonly undeclared: number; readonly declared: number };
  readonly livenessFailures: number;
  readonly unforcedEnds: number;
  readonly lateWrites: Verdict['lateWrites'];
  readonly staleProbes: Verdict['staleProbes'];
  readonly campaignsInFreeze: Verdict['campaignsInFreeze'];
  /** Failover times in ms per kind (elections after the fault), and how often the leader rode the fault out. */
  readonly failoverMs: Partial<Record<FaultKind, number[]>>;
  readonly rodeOut: Partial<Record<FaultKind, number>>;
  readonly failedInjections: number;
  readonly unsupported: Readonly<Partial<Record<FaultKind, string>>>;
  readonly aborted?: string;
  /** Judged from the last checkpoint of a run that was cut off. */
  readonly partial?: boolean;
}

export interface SoakResults {
  readonly machine: ReturnType<typeof machine>;
  readonly runs: RunSummary[];
}

export function summaryOf(history: SoakHistory, verdict: Verdict): RunSummary {
  const { meta } = history;
  const failoverMs: RunSummary['failoverMs'] = {};
  const rodeOut: RunSummary['rodeOut'] = {};
  for (const failover of verdict.failovers) {
    if (failover.outcome === 'elected' && failover.ms !== undefined) {
      failoverMs[failover.kind] = [...(failoverMs[failover.kind] ?? []), Math.round(failover.ms * 10) / 10];
    }
    if (failover.outcome === 'rode-out') rodeOut[failover.kind] = (rodeOut[failover.kind] ?? 0) + 1;
  }
  return {
    backend: meta.backend,
    seed: meta.seed,
    date: meta.date,
    ttlMs: meta.ttlMs,
    candidates: meta.candidates,
    members: meta.members,
    minutes: Math.round((Number(meta.stoppingAt - meta.startedAt) / 6e10) * 100) / 100,
    worstCaseFailoverMs: meta.worstCaseFailoverMs,
    injections: verdict.injections,
    byKind: verdict.byKind,
    overlaps: verdict.overlaps.length,
    forgottenOverlaps: {
      n: verdict.forgottenOverlaps.length,
      maxMs: Math.round(Math.max(0, ...verdict.forgottenOverlaps.map((o) => o.ms)) * 100) / 100,
    },
    acceptedStaleWrites: verdict.acceptedStaleWrites.length,
    regressions: {
      undeclared: verdict.regressions.filter((r) => !r.declared).length,
      declared: verdict.regressions.filter((r) => r.declared).length,
    },
    livenessFailures: verdict.failovers.filter((f) => f.late).length,
    unforcedEnds: verdict.unforcedEnds.length,
    lateWrites: verdict.lateWrites,
    staleProbes: verdict.staleProbes,
    campaignsInFreeze: verdict.campaignsInFreeze,
    failoverMs,
    rodeOut,
    failedInjections: verdict.failedInjections,
    unsupported: meta.unsupported,
    ...(verdict.aborted === undefined ? {} : { aborted: verdict.aborted }),
    ...(meta.partial ? { partial: true } : {}),
  };
}

/** Adds a run to a results file (bench/results/soak-DATE.json), creating it if needed. */
export async function appendResult(path: string, run: RunSummary): Promise<void> {
  let results: SoakResults;
  try {
    results = JSON.parse(await readFile(path, 'utf8')) as SoakResults;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    results = { machine: machine(), runs: [] };
  }
  results.runs.push(run);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
}

const POLICY_LABEL: Record<DisconnectPolicy, string> = { abort: 'abort', 'tolerate-until-deadline': 'tolerate' };
const round = (ms: number | undefined): string => (ms === undefined || Number.isNaN(ms) ? '-' : ms.toFixed(0));
const ns = (at: bigint, start: bigint): string => `${(Number(at - start) / 1e9).toFixed(3)} s`;

/** The run's report, as printed: the verdict first, then the details of every finding. */
export function renderReport(history: SoakHistory, verdict: Verdict): string {
  const { meta } = history;
  const at = (t: bigint): string => ns(t, meta.startedAt);
  const lines: string[] = [];
  const policies = history.processes.filter((p) => !p.id.includes('.'));
  const count = (policy: DisconnectPolicy): number => policies.filter((p) => p.policy === policy).length;
  lines.push(
    `[soak] ${meta.backend}${meta.members > 1 ? ` (${meta.members}-member cluster)` : ''}: seed ${meta.seed}, ttl ${meta.ttlMs} ms, ${meta.candidates} candidates ` +
      `(${count('abort')} abort, ${count('tolerate-until-deadline')} tolerate-until-deadline), ` +
      `${(Number(meta.stoppingAt - meta.startedAt) / 6e10).toFixed(1)} min, declared worst-case failover ${meta.worstCaseFailoverMs} ms`,
  );
  const kinds = Object.entries(verdict.byKind).map(
    ([kind, c]) => `${kind} ${c.abort + c['tolerate-until-deadline']} (${c.abort}/${c['tolerate-until-deadline']})`,
  );
  lines.push(`  injections ${verdict.injections} (abort/tolerate): ${kinds.join(', ')}`);
  const undeclared = verdict.regressions.filter((r) => !r.declared).length;
  lines.push(
    `  overlaps ${verdict.overlaps.length} · accepted stale writes ${verdict.acceptedStaleWrites.length} · ` +
      `token regressions ${undeclared} undeclared, ${verdict.regressions.length - undeclared} declared · ` +
      `liveness failures ${verdict.failovers.filter((f) => f.late).length} · unforced term ends ${verdict.unforcedEnds.length}`,
  );
  if (verdict.forgottenOverlaps.length > 0) {
    const longest = Math.max(...verdict.forgottenOverlaps.map((o) => o.ms));
    lines.push(
      `  after the store was told to forget its leader (key deleted, lease or session ended): ${verdict.forgottenOverlaps.length} ` +
        `overlaps until the old leader heard, the longest ${longest.toFixed(1)} ms (the fence's case, not failed)`,
    );
  }
  const late = verdict.lateWrites;
  lines.push(
    `  writes ${verdict.writes} in ${verdict.terms} terms; ${late.attempted} reached the resource after a successor was elected: ` +
      `${late.refused} refused by the fence, ${late.acceptedBeforeSuccessor} accepted before the successor's first write; ` +
      `stale probes ${verdict.staleProbes.sent} sent, ${verdict.staleProbes.refused} refused`,
  );
  if (verdict.campaignsInFreeze.meant > 0) {
    lines.push(
      `  campaigns started inside a store freeze: ${verdict.campaignsInFreeze.started} of ${verdict.campaignsInFreeze.meant}`,
    );
  }
  lines.push('  failover (ms from the fault, or from the store being back) by kind: n p50 p99 max, rode out');
  for (const [kind, s] of Object.entries(verdict.failoverByKind)) {
    lines.push(
      `    ${kind.padEnd(26)} ${String(s.n).padStart(4)} ${round(s.p50).padStart(6)} ${round(s.p99).padStart(6)} ${round(s.max).padStart(6)}   ${s.rodeOut}`,
    );
  }
  for (const [kind, why] of Object.entries(meta.unsupported)) lines.push(`  not injected: ${kind}: ${why}`);
  for (const o of verdict.overlaps) {
    lines.push(
      `  OVERLAP ${o.ms.toFixed(1)} ms: ${o.first.id} (token ${o.first.token}, ${at(o.first.from)}-${at(o.first.to)}) and ` +
        `${o.second.id} (token ${o.second.token}, from ${at(o.second.from)})`,
    );
  }
  for (const o of verdict.forgottenTooLong) {
    lines.push(
      `  LEADER DID NOT HEAR for ${o.ms.toFixed(1)} ms that the store forgot it: ${o.first.id} (token ${o.first.token}), ` +
        `successor ${o.second.id} (token ${o.second.token}) from ${at(o.second.from)}`,
    );
  }
  for (const w of verdict.acceptedStaleWrites)
    lines.push(`  STALE WRITE ACCEPTED: ${w.id} token ${w.token} at ${at(w.at)}`);
  for (const r of verdict.regressions) {
    lines.push(
      `  ${r.declared ? 'declared' : 'UNDECLARED'} REGRESSION: ${r.later.id} token ${r.later.token} at ${at(r.later.from)} after ${r.earlier.id} token ${r.earlier.token}`,
    );
  }
  for (const f of verdict.failovers.filter((x) => x.late)) {
    const fault = history.faults.find((x) => x.seq === f.seq);
    lines.push(
      `  LIVENESS: fault #${f.seq} ${f.kind} (${POLICY_LABEL[f.policy]}) at ${fault ? at(fault.injectedAt) : '?'}: ` +
        `${f.outcome === 'none' ? 'no leader' : `leader after ${round(f.ms)} ms`}, bound ${f.boundMs} ms`,
    );
  }
  for (const u of verdict.unforcedEnds) {
    lines.push(
      `  UNFORCED END: ${u.id} token ${u.token} ended '${u.reason}' after ${u.heldMs.toFixed(0)} ms, no fault on it`,
    );
  }
  if (verdict.failedInjections > 0) lines.push(`  injections that failed (not counted): ${verdict.failedInjections}`);
  if (verdict.aborted !== undefined) lines.push(`  RUN ENDED EARLY: ${verdict.aborted}`);
  if (meta.partial)
    lines.push(`  PARTIAL: the run was cut off; this is its last checkpoint, at ${at(meta.stoppingAt)}`);
  return lines.join('\n');
}
