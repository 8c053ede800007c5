// Generates the README's soak tables from the newest bench/results/soak-*.json (the long run's
// results, one entry per run with its seed), so that the docs cannot drift from what was
// measured. `--write` updates README.md in place; `--results FILE` reads another results file.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { summarize } from '../bench/src/stats.js';
import { FAULT_KINDS, type FaultKind, HANDOVER } from '../test/soak/history.js';
import type { RunSummary, SoakResults } from '../test/soak/report.js';
import { withSection } from './readme-section.js';

const RESULTS = new URL('../bench/results/', import.meta.url);

/** The newest soak results file under bench/results/ (names carry the date). */
export async function newestResults(): Promise<URL> {
  const names = (await readdir(RESULTS)).filter((name) => /^soak-.*\.json$/.test(name)).sort();
  const newest = names.at(-1);
  if (!newest) throw new Error('no bench/results/soak-*.json; run the long soak with --results first');
  return new URL(newest, RESULTS);
}

const sum = (runs: readonly RunSummary[], of: (run: RunSummary) => number): number =>
  runs.reduce((total, run) => total + of(run), 0);
const ms = (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(0));
const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Runs grouped by backend (a cluster apart from one server), in the order they first appear. */
function byBackend(results: SoakResults): Map<string, RunSummary[]> {
  const groups = new Map<string, RunSummary[]>();
  for (const run of results.runs) {
    const label = run.members > 1 ? `${run.backend} (${run.members} members)` : run.backend;
    groups.set(label, [...(groups.get(label) ?? []), run]);
  }
  return groups;
}

function injectionsOf(runs: readonly RunSummary[], kind: FaultKind): { abort: number; tolerate: number } {
  return {
    abort: sum(runs, (run) => run.byKind[kind]?.abort ?? 0),
    tolerate: sum(runs, (run) => run.byKind[kind]?.['tolerate-until-deadline'] ?? 0),
  };
}

/** The verdict per backend: how much was injected, and every safety and liveness count. */
export function summaryTable(results: SoakResults): string {
  const rows = [
    '| backend | runs (seeds) | minutes | ttl | injections (abort / tolerate) | overlaps | accepted stale writes | undeclared token regressions | liveness failures | unforced term ends | late writes: refused / accepted before the successor wrote | overlaps after the key was deleted or the lease ended (longest) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [backend, runs] of byBackend(results)) {
    const kinds = FAULT_KINDS.map((kind) => injectionsOf(runs, kind));
    const abort = kinds.reduce((total, k) => total + k.abort, 0);
    const tolerate = kinds.reduce((total, k) => total + k.tolerate, 0);
    const ttls = [...new Set(runs.map((run) => `${run.ttlMs / 1_000} s`))].join(', ');
    rows.push(
      `| ${backend} | ${runs.length} (${runs.map((run) => run.seed).join(', ')}) | ${sum(runs, (r) => r.minutes).toFixed(0)} | ${ttls} | ` +
        `${abort + tolerate} (${abort} / ${tolerate}) | ${sum(runs, (r) => r.overlaps)} | ${sum(runs, (r) => r.acceptedStaleWrites)} | ` +
        `${sum(runs, (r) => r.regressions.undeclared)} | ${sum(runs, (r) => r.livenessFailures)} | ${sum(runs, (r) => r.unforcedEnds)} | ` +
        `${sum(runs, (r) => r.lateWrites.refused)} / ${sum(runs, (r) => r.lateWrites.acceptedBeforeSuccessor)} | ` +
        `${sum(runs, (r) => r.forgottenOverlaps.n)} (${Math.max(0, ...runs.map((r) => r.forgottenOverlaps.maxMs)).toFixed(2)} ms) |`,
    );
  }
  return rows.join('\n');
}

/** Per fault kind and backend: injections, and failover p50 / p99 over every run. */
export function failoverTable(results: SoakResults): string {
  const groups = byBackend(results);
  const backends = [...groups.keys()];
  const rows = [`| fault | ${backends.join(' | ')} |`, `| --- | ${backends.map(() => '---').join(' | ')} |`];
  for (const kind of [...FAULT_KINDS, HANDOVER] as FaultKind[]) {
    const label = kind === HANDOVER ? `${kind} (a handover, not a fault)` : kind;
    const cells = backends.map((backend) => {
      const runs = groups.get(backend) ?? [];
      const { abort, tolerate } = injectionsOf(runs, kind);
      if (abort + tolerate === 0) {
        const why = runs.find((run) => run.unsupported[kind] !== undefined);
        return why ? 'n/a' : '0';
      }
      const samples = runs.flatMap((run) => run.failoverMs[kind] ?? []);
      const rodeOut = sum(runs, (run) => run.rodeOut[kind] ?? 0);
      const { p50, p99 } = summarize(samples);
      const failover = samples.length > 0 ? `${ms(p50)} / ${ms(p99)} ms` : 'no failover';
      return `${abort + tolerate} (${abort}/${tolerate}): ${failover}${rodeOut > 0 ? `, ${rodeOut} rode out` : ''}`;
    });
    if (cells.every((cell) => cell === '0' || cell === 'n/a')) continue;
    rows.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

/** Both tables, and the line that says where they come from. */
export async function soakTables(path?: URL): Promise<string> {
  const file = path ?? (await newestResults());
  const results = JSON.parse(await readFile(file, 'utf8')) as SoakResults;
  const name = file.pathname.slice(file.pathname.lastIndexOf('/') + 1);
  // Each kind a backend could not take, once per reason, naming the backends.
  const reasons = new Map<string, string[]>();
  for (const [backend, runs] of byBackend(results)) {
    for (const [kind, why] of Object.entries(runs[0]?.unsupported ?? {})) {
      const key = `${kind}: ${why}`;
      reasons.set(key, [...(reasons.get(key) ?? []), backend]);
    }
  }
  const notes = [...reasons].map(([reason, backends]) => `- n/a on ${backends.join(', ')}: ${reason}`);
  return [
    `From \`bench/results/${name}\` (${plural(results.runs.length, 'run')}; ${results.machine.cores} × ${results.machine.cpus}, Node ${results.machine.node}).`,
    '',
    summaryTable(results),
    '',
    'Injections (abort/tolerate) and failover p50 / p99: from the fault for faults on the leader, from the store being back for faults on the store.',
    '',
    failoverTable(results),
    '',
    ...notes,
  ].join('\n');
}

// Run as a script (not imported by the docs test): parse the arguments.
const entry = process.argv[1];
const { values } =
  entry !== undefined && import.meta.url === pathToFileURL(entry).href
    ? parseArgs({ options: { write: { type: 'boolean', default: false }, results: { type: 'string' } } })
    : { values: { write: false, results: undefined } };
if (values.write) {
  const path = new URL('../README.md', import.meta.url);
  const readme = await readFile(path, 'utf8');
  const tables = await soakTables(values.results ? pathToFileURL(values.results) : undefined);
  await writeFile(path, withSection(readme, 'soak', tables));
  console.log('README.md soak tables updated');
}
