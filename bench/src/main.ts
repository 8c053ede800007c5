// npm run bench [-- --backends memory,etcd,zookeeper,consul,redis,postgres --rounds 200 --failover-rounds 10 --scale 1,100,1000,10000 --measures handover,throughput,failover,scale,cli]
// Starts the real servers through the test harness, measures Baton and the peer libraries
// on the same server in the same run, prints a table, and writes JSON and an SVG chart
// to bench/results/.
import { parseArgs } from 'node:util';
import type { BackendOptions } from '@baton/core';
import { driverFor } from '../../test/backends/drivers.js';
import { type BackendTarget, backendTarget } from './backends.js';
import { batonRun, type CliHandoverResult, consulLock, measureCliHandover } from './cli-handover.js';
import type { ContenderKit } from './contender.js';
import { batonCandidates, type CandidateLauncher, measureFailover, peerCandidates } from './failover.js';
import { measureHandover } from './handover.js';
import { batonKit } from './peers/baton.js';
import { peerKit } from './peers/index.js';
import { type BackendResult, type BenchReport, type LibraryResult, machine, save, table } from './report.js';
import { measureScale } from './scale.js';
import { measureTelemetryCost } from './telemetry-cost.js';
import { measureThroughput, type ThroughputResult } from './throughput.js';

const MEASURES = ['handover', 'throughput', 'failover', 'scale', 'cli', 'telemetry'] as const;
type Measure = (typeof MEASURES)[number];

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'memory,etcd,zookeeper,consul,redis,postgres' },
    rounds: { type: 'string', default: '200' },
    'failover-rounds': { type: 'string', default: '10' },
    scale: { type: 'string', default: '1,100,1000,10000' },
    duration: { type: 'string', default: '2000' },
    ttl: { type: 'string', default: '2000' },
    'cli-rounds': { type: 'string', default: '10' },
    'telemetry-elections': { type: 'string', default: '1000' },
    measures: { type: 'string', default: MEASURES.join(',') },
  },
});
const measures = new Set((values.measures ?? '').split(',').filter(Boolean));
for (const measure of measures) {
  if (!(MEASURES as readonly string[]).includes(measure))
    throw new Error(`unknown measure "${measure}"; known: ${MEASURES.join(', ')}`);
}
const only = (measure: Measure): boolean => measures.has(measure);
const settings = {
  handoverRounds: Number(values.rounds),
  failoverRounds: Number(values['failover-rounds']),
  throughputMs: Number(values.duration),
  ttlMs: Number(values.ttl),
  cliRounds: Number(values['cli-rounds']),
  telemetryElections: Number(values['telemetry-elections']),
};
const scaleSteps = (values.scale ?? '')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const run = `${Date.now().toString(36)}`;

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Handover and throughput in this process; crash failover with `candidates` as child processes. */
async function measureLibrary(
  kit: ContenderKit,
  label: string,
  candidates: (() => Promise<CandidateLauncher>) | undefined,
): Promise<LibraryResult> {
  const notes: string[] = [];
  const result: { -readonly [K in keyof LibraryResult]: LibraryResult[K] } = { library: kit.label, notes };
  try {
    if (only('handover')) {
      console.error(`[bench]   ${kit.label}: handover, ${settings.handoverRounds} rounds`);
      result.handover = await measureHandover(kit, `handover-${label}-${run}`, settings.handoverRounds);
      if (!result.handover.observed) notes.push(`${kit.label} cannot notify observers of a new leader`);
    }
    if (only('throughput')) {
      console.error(`[bench]   ${kit.label}: throughput`);
      const throughput: Record<string, ThroughputResult> = {};
      for (const contenders of [2, 10]) {
        throughput[String(contenders)] = await measureThroughput(
          kit,
          `throughput-${label}-${contenders}-${run}`,
          contenders,
          settings.throughputMs,
        );
      }
      result.throughput = throughput;
    }
  } catch (error) {
    notes.push(`${kit.label} failed: ${message(error)}`);
  } finally {
    await kit.close();
  }
  if (candidates && only('failover')) {
    console.error(`[bench]   ${kit.label}: crash failover, ${settings.failoverRounds} rounds`);
    try {
      result.failover = await measureFailover(await candidates(), settings.ttlMs, settings.failoverRounds);
    } catch (error) {
      notes.push(`${kit.label} crash failover failed: ${message(error)}`);
    }
  }
  return result;
}

async function measureBackend(target: BackendTarget): Promise<BackendResult> {
  const notes = [...target.notes];
  const libraries: LibraryResult[] = [];
  const options = { ttlMs: settings.ttlMs, connectTimeoutMs: 10_000 };
  console.error(`[bench] ${target.kind}`);
  if (target.kind === 'memory') {
    notes.push('crash failover needs a store outside the crashed process; not measured on memory');
  }
  const batonFailover =
    target.kind === 'memory' ? undefined : () => batonCandidates(target.url, settings.ttlMs, `failover-baton-${run}`);
  libraries.push(await measureLibrary(batonKit(target.url, options), `${target.kind}-baton`, batonFailover));
  for (const peer of target.peers(settings.ttlMs)) {
    const election = `failover-${peer.peer}-${run}`;
    libraries.push(
      await measureLibrary(peerKit(peer), `${target.kind}-${peer.peer}`, async () => peerCandidates(peer, election)),
    );
  }
  const scale = [];
  for (const elections of only('scale') ? scaleSteps : []) {
    console.error(`[bench]   baton: ${elections} elections on one client`);
    const result = await measureScale(
      () => import('@baton/core').then(({ connect }) => connect(target.url, options)),
      `scale-${elections}-${run}`,
      elections,
      settings.ttlMs * 2,
      target.renewalCount,
    );
    scale.push(result);
    if (result.error || result.campaignAllMs > 120_000) {
      notes.push(`scale stops at ${elections} elections: ${result.error ?? 'campaigning took over 2 minutes'}`);
      break;
    }
  }
  const cli = only('cli') ? await measureCli(target, notes) : [];
  const telemetry = only('telemetry') ? await measureTelemetry(target, options, notes) : undefined;
  return {
    backend: target.kind,
    ttlMs: settings.ttlMs,
    libraries,
    scale,
    cli,
    ...(telemetry ? { telemetry } : {}),
    notes,
  };
}

/** Baton with metrics and events on versus off: handover and heap per election, side by side. */
async function measureTelemetry(target: BackendTarget, options: BackendOptions, notes: string[]) {
  console.error(
    `[bench]   baton: metrics and events off vs on, ${settings.handoverRounds} handover rounds and ${settings.telemetryElections} elections each`,
  );
  try {
    return await measureTelemetryCost(
      target.url,
      options,
      `telemetry-${run}`,
      settings.handoverRounds,
      settings.telemetryElections,
    );
  } catch (error) {
    notes.push(`metrics and events cost failed: ${message(error)}`);
    return undefined;
  }
}

/** A stop of the leading `baton run` to its successor's command started; beside `consul lock` on Consul. */
async function measureCli(target: BackendTarget, notes: string[]): Promise<CliHandoverResult[]> {
  if (!target.address) {
    notes.push('baton run: the in-process store cannot be shared between processes; not measured on memory');
    return [];
  }
  const { host, port } = target.address;
  const launchers = [batonRun(target.url, settings.ttlMs)];
  if (target.kind === 'consul') {
    const found = driverFor('consul').findLocal();
    if (found.found) launchers.push(consulLock(found.path, host, port));
    else notes.push(`consul lock not measured: ${found.reason}`);
  }
  const results: CliHandoverResult[] = [];
  for (const launcher of launchers) {
    console.error(`[bench]   ${launcher.tool}: SIGTERM to successor's command, ${settings.cliRounds} rounds`);
    try {
      results.push(
        await measureCliHandover(launcher, `bench/cli-${launcher.tool.replace(' ', '-')}-${run}`, settings.cliRounds),
      );
    } catch (error) {
      notes.push(`${launcher.tool} failed: ${message(error)}`);
    }
  }
  return results;
}

const report: BenchReport = { date: new Date().toISOString(), machine: machine(), settings, backends: [] };
for (const kind of (values.backends ?? '').split(',').filter(Boolean)) {
  const target = await backendTarget(kind, settings.ttlMs);
  try {
    report.backends.push(await measureBackend(target));
  } finally {
    await target.stop();
  }
}
console.log(table(report));
// A run of some measures only is kept apart, and leaves the full run's chart alone.
const subset = MEASURES.every(only) ? undefined : [...measures].join('-');
const saved = await save(report, new URL('../results/', import.meta.url), subset);
console.log(
  `\n[bench] wrote ${[saved.json, saved.svg]
    .filter(Boolean)
    .map((file) => file?.pathname)
    .join(' and ')}`,
);
