import { performance } from 'node:perf_hooks';
import type { Backend } from '@baton/core';
import type { DoctorOptions } from '../arguments.js';
import { ExitStatus } from '../exit-status.js';
import type { Output } from '../output.js';
import { displayUrl } from '../store.js';
import { withStore } from './common.js';

/** Reads of an election nobody uses, timed one after another. */
const ROUND_TRIPS = 5;
const PROBE_ELECTION = 'baton/doctor';

/**
 * `baton doctor`: connects and prints the backend kind, the ttl in force, the capabilities
 * and a measured round trip. A failure surfaces as the typed error, printed with what to
 * check by the caller.
 */
export async function doctorCommand(options: DoctorOptions, output: Output): Promise<number> {
  const started = performance.now();
  return withStore(options, async (backend) => {
    const connectMs = performance.now() - started;
    const samples = await roundTrips(backend);
    const sorted = [...samples].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    const capabilities = backend.capabilities;
    const url = displayUrl(options.url);
    const rows: [string, string][] = [
      ['backend', backend.kind],
      ['url', url],
      ['connected in', `${connectMs.toFixed(1)} ms`],
      [
        'round trip',
        `${median.toFixed(1)} ms (median of ${ROUND_TRIPS} leader reads; min ${(sorted[0] as number).toFixed(1)} ms)`,
      ],
      [
        'ttl in force',
        `${backend.ttlMs} ms${options.ttlMs !== undefined && options.ttlMs !== backend.ttlMs ? ` (asked ${options.ttlMs} ms)` : ''}`,
      ],
      [
        'ttl limits',
        `${capabilities.minTtlMs} ms to ${capabilities.maxTtlMs} ms, step ${capabilities.ttlResolutionMs} ms`,
      ],
      ['fencing token', capabilities.fencing.source],
      ['token can regress', capabilities.fencing.regression],
      ['fifo', capabilities.fifo ? 'yes' : 'no'],
      ['leader read', capabilities.leaderRead],
      ['notify', capabilities.notify],
      ['worst-case failover', `${capabilities.worstCaseFailover} = ${capabilities.worstCaseFailoverMs} ms`],
    ];
    const width = Math.max(...rows.map(([label]) => label.length)) + 2;
    output.result(
      'doctor',
      {
        ok: true,
        backend: backend.kind,
        url,
        ttlMs: backend.ttlMs,
        connectMs: round(connectMs),
        roundTripMs: { median: round(median), min: round(sorted[0] as number) },
        capabilities: { ...capabilities, fencing: { ...capabilities.fencing } },
      },
      rows.map(([label, value]) => `${label.padEnd(width)}${value}`).join('\n'),
    );
    return ExitStatus.ok;
  });
}

async function roundTrips(backend: Backend): Promise<number[]> {
  const election = backend.election(PROBE_ELECTION);
  const samples: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const start = performance.now();
    await election.leader();
    samples.push(performance.now() - start);
  }
  return samples;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
