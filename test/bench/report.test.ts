import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/src/report.js';
import { chart, table } from '../../bench/src/report.js';
import { summarize } from '../../bench/src/stats.js';

const sample = (p50: number) => ({ n: 200, p50, p99: p50 * 2, max: p50 * 3, mean: p50 });

const report: BenchReport = {
  date: '2026-11-23T00:00:00.000Z',
  machine: { cpus: 'test cpu', cores: 2, memoryGiB: 24, node: 'v20.0.0', platform: 'linux' },
  settings: { ttlMs: 2000 },
  backends: [
    {
      backend: 'redis',
      ttlMs: 2000,
      libraries: [
        {
          library: 'baton',
          handover: { elected: sample(1), observed: sample(2) },
          throughput: { '2': { cyclesPerSecond: 1000, changedHands: 0.5 } },
          failover: { ms: sample(1800), ttlMs: 2000, ratioToTtl: 0.9 },
          notes: [],
        },
        {
          library: 'redlock',
          handover: { elected: sample(100), observed: undefined },
          throughput: { '2': { cyclesPerSecond: 4000, changedHands: 0 } },
          failover: { ms: sample(2000), ttlMs: 2000, ratioToTtl: 1 },
          notes: ['redlock cannot notify observers of a new leader'],
        },
      ],
      scale: [
        { elections: 1, campaignAllMs: 1, bytesPerElection: Number.NaN, renewalsPerSecond: 1.5 },
        { elections: 100, campaignAllMs: 30, bytesPerElection: 2048, renewalsPerSecond: 1.5 },
      ],
      notes: [],
    },
  ],
};

describe('benchmark report', () => {
  it('summarizes a sample by nearest-rank percentiles', () => {
    const samples = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(summarize(samples)).toMatchObject({ n: 200, p50: 100, p99: 198, max: 200, mean: 100.5 });
    expect(summarize([]).n).toBe(0);
  });

  it('prints Baton/peer ratios, and says so where a peer cannot observe', () => {
    const text = table(report);
    expect(text).toContain('| redis | redlock | 100.0 / 200.0 / 300.0 | cannot observe | 0.01x |');
    expect(text).toContain('| redis | redlock | 4000.0 (0 %) | - | 0.25x / - |');
    expect(text).toContain('| redis | redlock | 2000 | 2000.0 / 4000.0 / 6000.0 | 1.00 | 0.90x |');
    expect(text).toContain('| redis | 1 | 1.0 | - | 1.5 |');
    expect(text).toContain('- redis: redlock cannot notify observers of a new leader');
  });

  it('prints the cost of metrics and events: handover p50 and heap per election, off and on, and the change', () => {
    const backend = report.backends[0];
    if (!backend) throw new Error('no backend in the sample report');
    const withCost: BenchReport = {
      ...report,
      backends: [
        {
          ...backend,
          telemetry: { handover: { off: sample(2), on: sample(2.1) }, heap: { elections: 1000, off: 2000, on: 2100 } },
        },
      ],
    };
    expect(table(withCost)).toContain('| redis | 2.0 / 2.1 | +5.0 % | 2000 / 2100 | +5.0 % |');
    expect(table(report)).not.toContain('metrics and events off / on');
  });

  it('prints the command-line handover beside its peer, with the ratio', () => {
    const consul = {
      backend: 'consul',
      ttlMs: 2000,
      libraries: [],
      scale: [],
      cli: [
        { tool: 'baton run', ms: sample(40) },
        { tool: 'consul lock', ms: sample(20) },
      ],
      notes: [],
    };
    const text = table({ ...report, backends: [consul] });
    expect(text).toContain("| backend | command line | SIGTERM to the leader -> successor's command started");
    expect(text).toContain('| consul | baton run | 40.0 / 80.0 / 120.0 |  |');
    expect(text).toContain('| consul | consul lock | 20.0 / 40.0 / 60.0 | 2.00x |');
    expect(table(report)).not.toContain('command line');
  });

  it('draws a handover bar and a failover bar for every library', () => {
    const svg = chart(report);
    expect(svg.match(/<rect x=/g)).toHaveLength(4);
    expect(svg).toContain('redis · redlock');
  });
});
