// Draws the README's picture of the leader gauge across a failover, from a real run: three
// replicas of examples/operations on one Redis server, each scraped at /metrics every 50 ms;
// the leader is killed with SIGKILL, then its successor stopped with SIGTERM (a graceful
// resign). Writes examples/operations/leader-gauge.svg. Starts its own Redis server, so run
// it as the benchmarks run: `npx tsx --conditions=source scripts/leader-gauge-chart.ts`.
import { writeFile } from 'node:fs/promises';
import { get, type Replica, sampleOf, startReplica } from '../examples/operations/src/replica.js';
import { startServer } from '../test/backends/index.js';

const TTL_MS = 2_000;
const SCRAPE_EVERY_MS = 50;
const out = new URL('../examples/operations/leader-gauge.svg', import.meta.url);

interface Sample {
  readonly at: number;
  readonly replica: string;
  readonly value: number;
}

interface Mark {
  readonly at: number;
  readonly label: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function gauge(replica: Replica): Promise<number | undefined> {
  const { body } = await get(replica, '/metrics');
  return sampleOf(body, 'baton_election_leader', { baton_candidate_id: replica.id }) ?? 0;
}

async function record(): Promise<{ samples: Sample[]; marks: Mark[]; ids: string[] }> {
  const server = await startServer('redis');
  // A Redis server grants no election until it has been up one ttl (its restart quarantine):
  // start the replicas after that, so that the picture starts with a leader.
  await sleep(TTL_MS + 1_000);
  const replicas: Replica[] = [];
  const samples: Sample[] = [];
  const marks: Mark[] = [];
  const start = performance.now();
  const now = (): number => (performance.now() - start) / 1_000;
  const live = new Set<Replica>();
  let scraping = true;
  const scraper = (async () => {
    while (scraping) {
      await Promise.all(
        [...live].map(async (replica) => {
          const value = await gauge(replica).catch(() => undefined);
          if (value !== undefined && live.has(replica)) samples.push({ at: now(), replica: replica.id, value });
        }),
      );
      await sleep(SCRAPE_EVERY_MS);
    }
  })();
  const leader = async (among: readonly Replica[]): Promise<Replica> => {
    for (;;) {
      for (const replica of among) if ((await gauge(replica).catch(() => 0)) === 1) return replica;
      await sleep(20);
    }
  };
  try {
    const election = `chart/${Date.now().toString(36)}`;
    for (const id of ['replica-a', 'replica-b', 'replica-c']) {
      const replica = await startReplica(server.url, id, TTL_MS, election);
      replicas.push(replica);
      live.add(replica);
    }
    const first = await leader(replicas);
    await sleep(2_000);
    marks.push({ at: now(), label: `SIGKILL ${first.id}` });
    first.child.kill('SIGKILL');
    live.delete(first);
    const second = await leader(replicas.filter((replica) => replica !== first));
    marks.push({ at: now(), label: `${second.id} elected` });
    await sleep(3_000);
    marks.push({ at: now(), label: `SIGTERM ${second.id}` });
    second.child.kill('SIGTERM');
    await second.exited;
    live.delete(second);
    await sleep(2_000);
    return { samples, marks, ids: replicas.map((replica) => replica.id) };
  } finally {
    scraping = false;
    await scraper;
    for (const replica of replicas) replica.child.kill('SIGKILL');
    await Promise.all(replicas.map((replica) => replica.exited));
    await server.stop();
  }
}

function svg({ samples, marks, ids }: { samples: Sample[]; marks: Mark[]; ids: string[] }): string {
  const width = 860;
  const left = 110;
  const right = 20;
  const laneHeight = 54;
  const top = 58;
  const end = Math.max(...samples.map((sample) => sample.at), ...marks.map((mark) => mark.at));
  const x = (seconds: number): number => left + (seconds / end) * (width - left - right);
  const lanes = ids.map((id, lane) => {
    const base = top + lane * laneHeight + 40;
    const y = (value: number): number => base - value * 28;
    const points = samples.filter((sample) => sample.replica === id);
    let path = '';
    points.forEach((sample, i) => {
      path +=
        i === 0 ? `M${x(sample.at).toFixed(1)},${y(sample.value)}` : ` H${x(sample.at).toFixed(1)} V${y(sample.value)}`;
    });
    const last = points.at(-1);
    const stopped =
      last && last.at < end - 0.2
        ? `<text x="${(x(last.at) + 4).toFixed(1)}" y="${base - 4}" fill="#999">no more scrapes</text>`
        : '';
    return `<text x="${left - 10}" y="${base - 10}" text-anchor="end">${id}</text>
<line x1="${left}" y1="${base}" x2="${width - right}" y2="${base}" stroke="#ddd"/>
<path d="${path}" fill="none" stroke="#4f81bd" stroke-width="2"/>${stopped}`;
  });
  const bottom = top + ids.length * laneHeight + 10;
  const ticks = Array.from({ length: Math.floor(end) + 1 }, (_, s) => s)
    .map(
      (s) =>
        `<line x1="${x(s)}" y1="${bottom}" x2="${x(s)}" y2="${bottom + 4}" stroke="#666"/><text x="${x(s)}" y="${bottom + 16}" text-anchor="middle" fill="#666">${s} s</text>`,
    )
    .join('\n');
  const markLines = marks
    .map(
      (mark, i) =>
        `<line x1="${x(mark.at).toFixed(1)}" y1="${top - 4}" x2="${x(mark.at).toFixed(1)}" y2="${bottom}" stroke="#c0504d" stroke-dasharray="4 3"/><text x="${(x(mark.at) + 4).toFixed(1)}" y="${top - 8 - (i % 2) * 14}" fill="#c0504d">${mark.label}</text>`,
    )
    .join('\n');
  const kill = marks[0];
  const elected = marks[1];
  const failover =
    kill && elected
      ? ` · failover ${((elected.at - kill.at) * 1_000).toFixed(0)} ms (ttl ${TTL_MS} ms, as scraped every ${SCRAPE_EVERY_MS} ms)`
      : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${bottom + 44}" font-family="sans-serif" font-size="12">
<title>baton_election_leader per replica across a SIGKILL failover and a graceful handover</title>
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="18" font-weight="bold">baton_election_leader per replica, scraped from /metrics (examples/operations on Redis)</text>
${lanes.join('\n')}
${markLines}
${ticks}
<text x="10" y="${bottom + 38}" fill="#666">1 = leads, 0 = follows${failover}</text>
</svg>
`;
}

const recorded = await record();
await writeFile(out, svg(recorded));
console.log(
  `wrote ${out.pathname}: ${recorded.samples.length} samples; ${recorded.marks.map((m) => `${m.label} at ${m.at.toFixed(2)} s`).join('; ')}`,
);
