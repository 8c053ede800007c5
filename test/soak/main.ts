// npm run soak -- --backend redis --minutes 2 --seed 42 [--ttl 1000] [--candidates 6] [--cluster]
//   [--injections N] [--min-injections N] [--fail-on-unforced] [--out DIR] [--results FILE]
// npm run soak -- --judge HISTORY.json... [--results FILE]   (judges saved histories again,
//   without running anything; with --results, adds their summaries to a results file)
//
// Runs the fault soak against real servers started by the test harness, one backend after the
// other, judges each recorded history, prints the verdict, and exits 1 on any overlap, accepted
// stale write, undeclared token regression or liveness failure (and, with --fail-on-unforced, on
// a term that ended with no fault on it), or when fewer than --min-injections faults were injected;
// exits 2 on a usage error or a store that would not start.
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadHistory, type SoakHistory, saveHistory } from './history.js';
import { judge, type Verdict, violations } from './judge.js';
import { freshSeed } from './random.js';
import { appendResult, renderReport, summaryOf } from './report.js';
import { runSoak } from './soak.js';
import { SOAK_BACKENDS, type SoakBackend } from './stores/index.js';

/** The command line; an unknown option or a missing value is a usage error naming it. */
function parseArguments() {
  return parseArgs({
    options: {
      backend: { type: 'string', default: 'all' },
      minutes: { type: 'string', default: '2' },
      seed: { type: 'string' },
      ttl: { type: 'string', default: '1000' },
      candidates: { type: 'string', default: '6' },
      injections: { type: 'string' },
      'min-injections': { type: 'string', default: '0' },
      'fail-on-unforced': { type: 'boolean', default: false },
      cluster: { type: 'boolean', default: false },
      out: { type: 'string', default: join(os.tmpdir(), 'baton-soak') },
      results: { type: 'string' },
      judge: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
}

/** A number from an option, or a usage error naming the option. */
function count(name: string, text: string | undefined, min: number): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number >= ${min}, not ${text}`);
  return value;
}

const log = (line: string): void => console.error(`[soak] ${line}`);

/** Judges a history and prints the report; returns the verdict and what fails the run. */
function verdictOf(history: SoakHistory, failOnUnforced: boolean): { verdict: Verdict; found: string[] } {
  const verdict = judge(history);
  console.log(renderReport(history, verdict));
  return { verdict, found: violations(verdict, { unforcedEnds: failOnUnforced }) };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArguments();
  const failOnUnforced = values['fail-on-unforced'] ?? false;
  if (values.judge) {
    if (positionals.length === 0) throw new Error('--judge takes the paths of saved histories');
    let failed = false;
    for (const path of positionals) {
      const history = await loadHistory(path);
      const { verdict, found } = verdictOf(history, failOnUnforced);
      if (values.results) await appendResult(values.results, summaryOf(history, verdict));
      for (const problem of found) console.log(`[soak] ${path} FAILED: ${problem}`);
      if (found.length > 0) failed = true;
    }
    return failed ? 1 : 0;
  }
  if (positionals.length > 0)
    throw new Error(`unexpected arguments: ${positionals.join(' ')} (histories go with --judge)`);
  const backends = (values.backend === 'all' ? SOAK_BACKENDS : (values.backend ?? '').split(',')) as SoakBackend[];
  for (const backend of backends) {
    if (!SOAK_BACKENDS.includes(backend)) {
      throw new Error(`--backend: unknown backend "${backend}"; known: ${SOAK_BACKENDS.join(', ')}, or all`);
    }
  }
  const seed = values.seed === undefined ? freshSeed() : count('seed', values.seed, 0);
  const minutes = count('minutes', values.minutes, 0.1);
  const ttlMs = count('ttl', values.ttl, 100);
  const candidates = count('candidates', values.candidates, 2);
  const maxInjections =
    values.injections === undefined ? Number.POSITIVE_INFINITY : count('injections', values.injections, 1);
  const minInjections = count('min-injections', values['min-injections'], 0);
  const cluster = values.cluster ?? false;
  await mkdir(values.out as string, { recursive: true });
  let failed = false;
  for (const backend of backends) {
    const replay = `npm run soak -- --backend ${backend} --seed ${seed} --minutes ${minutes} --ttl ${ttlMs} --candidates ${candidates}${cluster ? ' --cluster' : ''}`;
    log(`${backend}: seed ${seed} (replay: ${replay})`);
    const path = join(values.out as string, `${backend}${cluster ? '-cluster' : ''}-${seed}-${Date.now()}.json`);
    const checkpoint = (partial: SoakHistory): Promise<void> => saveHistory(path, partial);
    const history = await runSoak({
      backend,
      seed,
      minutes,
      ttlMs,
      candidates,
      cluster,
      maxInjections,
      log,
      checkpoint,
    });
    await saveHistory(path, history);
    const { verdict, found } = verdictOf(history, failOnUnforced);
    const { injections } = verdict;
    if (injections < minInjections)
      found.push(`${injections} injections, fewer than --min-injections ${minInjections}`);
    console.log(`  history: ${path} (judge it again: npm run soak -- --judge ${path})`);
    console.log(`  replay: ${replay}`);
    if (values.results) await appendResult(values.results, summaryOf(history, verdict));
    for (const problem of found) console.log(`[soak] ${backend} FAILED: ${problem}`);
    if (found.length > 0) failed = true;
  }
  return failed ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`[soak] ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
