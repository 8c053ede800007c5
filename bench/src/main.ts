// npm run bench [-- --backends memory,etcd,zookeeper,consul,redis --rounds 200 --failover-rounds 10 --scale 1,100,1000,10000]
// Starts the real servers through the test harness, measures Baton and the peer libraries
// on the same server in the same run, prints a table, and writes JSON and an SVG chart
// to bench/results/.
import { parseArgs } from 'node:util';
import { type BackendTarget, backendTarget } from './backends.js';
import type { ContenderKit } from './contender.js';
import { measureFailover } from './failover.js';
import { measureHandover } from './handover.js';
import { batonKit } from './peers/baton.js';
import { type BackendResult, type BenchReport, type LibraryResult, machine, save, table } from './report.js';
import { measureScale } from './scale.js';
import { measureThroughput } from './throughput.js';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'memory,etcd,zookeeper,consul,redis' },
    rounds: { type: 'string', default: '200' },
    'failover-rounds': { type: 'string', default: '10' },
    scale: { type: 'string', default: '1,100,1000,10000' },
    duration: { type: 'string', default: '3000' },
    ttl: { type: 'string', default: '2000' },
  },
});
const settings = {
  handoverRounds: Number(values.rounds),
  failoverRounds: Number(values['failover-rounds']),
  throughputMs: Number(values.duration),
  ttlMs: Number(values.ttl),
};
const scaleSteps = (values.scale ?? '')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const run = `${Date.now().toString(36)}`;

async function measureLibrary(kit: ContenderKit, label: string): Promise<LibraryResult> {
  const notes: string[] = [];
  try {
    const handover = await measureHandover(kit, `handover-${label}-${run}`, settings.handoverRounds);
    if (!handover.observed) notes.push(`${kit.label} cannot notify observers of a new leader`);
    const throughput: Record<string, number> = {};
    for (const candidates of [2, 10]) {
      throughput[String(candidates)] = await measureThroughput(
        kit,
        `throughput-${label}-${candidates}-${run}`,
        candidates,
        settings.throughputMs,
      );
    }
    return { library: kit.label, handover, throughput, notes };
  } catch (error) {
    notes.push(`${kit.label} failed: ${error instanceof Error ? error.message : String(error)}`);
    return { library: kit.label, notes };
  } finally {
    await kit.close();
  }
}

async function measureBackend(target: BackendTarget): Promise<BackendResult> {
  const notes = [...target.notes];
  const libraries: LibraryResult[] = [];
  const options = { ttlMs: settings.ttlMs, connectTimeoutMs: 10_000 };
  console.error(`[bench] ${target.kind}: handover and throughput`);
  libraries.push(await measureLibrary(batonKit(target.url, options), `${target.kind}-baton`));
  for (const peer of target.peers(settings.ttlMs)) {
    console.error(`[bench] ${target.kind}: ${peer.label}`);
    libraries.push(await measureLibrary(peer, `${target.kind}-${peer.label.replace(/\W+/g, '')}`));
  }
  let failover: BackendResult['failover'];
  if (target.kind === 'memory') {
    notes.push('crash failover needs a store outside the crashed process; not measured on memory');
  } else {
    console.error(`[bench] ${target.kind}: crash failover`);
    try {
      failover = await measureFailover(target.url, settings.ttlMs, `failover-${run}`, settings.failoverRounds);
    } catch (error) {
      notes.push(`failover failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const scale = [];
  for (const elections of scaleSteps) {
    console.error(`[bench] ${target.kind}: ${elections} elections on one client`);
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
  return { backend: target.kind, ttlMs: settings.ttlMs, libraries, ...(failover ? { failover } : {}), scale, notes };
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
const saved = await save(report, new URL('../results/', import.meta.url));
console.log(`\n[bench] wrote ${saved.json.pathname} and ${saved.svg.pathname}`);
