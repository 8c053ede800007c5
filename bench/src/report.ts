import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { CliHandoverResult } from './cli-handover.js';
import type { FailoverResult } from './failover.js';
import type { HandoverResult } from './handover.js';
import type { ScaleResult } from './scale.js';
import type { Summary } from './stats.js';
import type { TelemetryCostResult } from './telemetry-cost.js';
import type { ThroughputResult } from './throughput.js';

export interface LibraryResult {
  readonly library: string;
  readonly handover?: HandoverResult;
  /** By number of candidates. */
  readonly throughput?: Record<string, ThroughputResult>;
  readonly failover?: FailoverResult;
  readonly notes: string[];
}

export interface BackendResult {
  readonly backend: string;
  readonly ttlMs: number;
  readonly libraries: LibraryResult[];
  /** Baton only: one client holding many elections. */
  readonly scale: ScaleResult[];
  /** `baton run` and the command-line tools that do its job, as separate processes. */
  readonly cli?: CliHandoverResult[];
  /** Baton with metrics and events on versus off. */
  readonly telemetry?: TelemetryCostResult;
  readonly notes: string[];
}

export interface BenchReport {
  readonly date: string;
  readonly machine: { cpus: string; cores: number; memoryGiB: number; node: string; platform: string };
  readonly settings: Record<string, number>;
  readonly backends: BackendResult[];
}

export function machine(): BenchReport['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

const ms = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(1));
const summary = (s: Summary | undefined): string => (s ? `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}` : '-');
const ratio = (baton: number | undefined, peer: number | undefined): string =>
  baton === undefined || peer === undefined || Number.isNaN(baton / peer) ? '-' : `${(baton / peer).toFixed(2)}x`;

/** Each library of a backend with Baton's result on the same backend, for the ratio columns. */
function rows(report: BenchReport): { backend: BackendResult; library: LibraryResult; baton?: LibraryResult }[] {
  return report.backends.flatMap((backend) => {
    const baton = backend.libraries.find((l) => l.library === 'baton');
    return backend.libraries.map((library) => ({
      backend,
      library,
      ...(baton && library !== baton ? { baton } : {}),
    }));
  });
}

/** The tables printed on stdout and pasted into the README. Ratios are Baton / peer. */
export function table(report: BenchReport): string {
  const lines: string[] = [];
  lines.push(
    '| backend | library | handover, elected: p50 / p99 / max (ms) | handover, observer notified: p50 / p99 / max (ms) | baton/peer, elected p50 |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const { backend, library, baton } of rows(report)) {
    const observed =
      library.handover && !library.handover.observed ? 'cannot observe' : summary(library.handover?.observed);
    lines.push(
      `| ${backend.backend} | ${library.library} | ${summary(library.handover?.elected)} | ${observed} | ${baton ? ratio(baton.handover?.elected.p50, library.handover?.elected.p50) : ''} |`,
    );
  }
  const cycles = (library: LibraryResult, candidates: string): string => {
    const result = library.throughput?.[candidates];
    return result ? `${ms(result.cyclesPerSecond)} (${Math.round(result.changedHands * 100)} %)` : '-';
  };
  const cyclesRatio = (baton: LibraryResult, library: LibraryResult, candidates: string): string =>
    ratio(baton.throughput?.[candidates]?.cyclesPerSecond, library.throughput?.[candidates]?.cyclesPerSecond);
  lines.push(
    '',
    '| backend | library | cycles/s, 2 candidates (leader changed) | cycles/s, 10 candidates (leader changed) | baton/peer, cycles/s (2 / 10) |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const { backend, library, baton } of rows(report)) {
    lines.push(
      `| ${backend.backend} | ${library.library} | ${cycles(library, '2')} | ${cycles(library, '10')} | ${baton ? `${cyclesRatio(baton, library, '2')} / ${cyclesRatio(baton, library, '10')}` : ''} |`,
    );
  }
  lines.push(
    '',
    '| backend | library | ttl (ms) | crash failover: p50 / p99 / max (ms) | p50 / ttl | baton/peer, p50 |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const { backend, library, baton } of rows(report)) {
    if (!library.failover) continue;
    lines.push(
      `| ${backend.backend} | ${library.library} | ${library.failover.ttlMs} | ${summary(library.failover.ms)} | ${library.failover.ratioToTtl.toFixed(2)} | ${baton ? ratio(baton.failover?.ms.p50, library.failover.ms.p50) : ''} |`,
    );
  }
  lines.push(
    '',
    '| backend | elections on one client | campaign them all (ms) | heap per election (bytes) | renewal requests/s at the store |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const backend of report.backends) {
    for (const step of backend.scale) {
      lines.push(
        step.error
          ? `| ${backend.backend} | ${step.elections} | stopped: ${step.error} | | |`
          : `| ${backend.backend} | ${step.elections} | ${ms(step.campaignAllMs)} | ${Number.isNaN(step.bytesPerElection) ? '-' : Math.round(step.bytesPerElection)} | ${ms(step.renewalsPerSecond)} |`,
      );
    }
  }
  const cliRows = report.backends.flatMap((backend) => {
    const baton = backend.cli?.find((result) => result.tool === 'baton run');
    return (backend.cli ?? []).map((result) => ({ backend, result, baton: result === baton ? undefined : baton }));
  });
  if (cliRows.length > 0) {
    lines.push(
      '',
      "| backend | command line | SIGTERM to the leader -> successor's command started: p50 / p99 / max (ms) | baton/peer, p50 |",
      '| --- | --- | --- | --- |',
    );
    for (const { backend, result, baton } of cliRows) {
      lines.push(
        `| ${backend.backend} | ${result.tool} | ${summary(result.ms)} | ${baton ? ratio(baton.ms.p50, result.ms.p50) : ''} |`,
      );
    }
  }
  const costs = report.backends.filter((backend) => backend.telemetry);
  if (costs.length > 0) {
    const change = (off: number, on: number): string =>
      Number.isNaN(on / off) ? '-' : `${on >= off ? '+' : ''}${(((on - off) / off) * 100).toFixed(1)} %`;
    lines.push(
      '',
      '| backend | handover p50, metrics and events off / on (ms) | change | heap per election, off / on (bytes) | change |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const { backend, telemetry } of costs) {
      if (!telemetry) continue;
      const { handover, heap } = telemetry;
      lines.push(
        `| ${backend} | ${ms(handover.off.p50)} / ${ms(handover.on.p50)} | ${change(handover.off.p50, handover.on.p50)} | ${Math.round(heap.off)} / ${Math.round(heap.on)} | ${change(heap.off, heap.on)} |`,
      );
    }
  }
  const notes = report.backends.flatMap((b) =>
    [...b.notes, ...b.libraries.flatMap((l) => l.notes)].map((n) => `- ${b.backend}: ${n}`),
  );
  if (notes.length > 0) lines.push('', ...notes);
  return lines.join('\n');
}

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly baton: boolean;
}

/** One panel of horizontal bars, `top` pixels down; returns the SVG and the panel's height. */
function panel(title: string, bars: readonly Bar[], top: number, log: boolean): { svg: string; height: number } {
  const rowHeight = 20;
  const width = 860;
  const labelWidth = 260;
  const room = width - labelWidth - 90;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const length = (value: number): number =>
    Math.max(1, log ? (Math.log10(1 + value) / Math.log10(1 + max)) * room : (value / max) * room);
  const body = bars
    .map((bar, i) => {
      const y = top + 26 + i * rowHeight;
      const w = length(bar.value);
      return `<text x="${labelWidth - 8}" y="${y + 13}" text-anchor="end">${bar.label}</text><rect x="${labelWidth}" y="${y + 2}" width="${w.toFixed(1)}" height="14" fill="${bar.baton ? '#4f81bd' : '#9bbb59'}"/><text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 13}">${bar.value < 10 ? bar.value.toFixed(2) : bar.value.toFixed(0)} ms</text>`;
    })
    .join('\n');
  return {
    svg: `<text x="10" y="${top + 16}" font-weight="bold">${title}</text>\n${body}`,
    height: 36 + bars.length * rowHeight,
  };
}

/** Handover (elected p50, log scale) and crash failover (p50, linear) per backend and library, as SVG. */
export function chart(report: BenchReport): string {
  const bars = (value: (library: LibraryResult) => number | undefined): Bar[] =>
    rows(report).flatMap(({ backend, library }) => {
      const ms = value(library);
      return ms === undefined
        ? []
        : [{ label: `${backend.backend} · ${library.library}`, value: ms, baton: library.library === 'baton' }];
    });
  const handover = bars((library) => library.handover?.elected.p50);
  const failover = bars((library) => library.failover?.ms.p50);
  const ttl = report.settings.ttlMs;
  const first = panel('Graceful handover: resign to next leader elected, p50 (log scale)', handover, 0, true);
  const second = panel(
    `Crash failover: SIGKILL to next leader elected, p50 (ttl ${ttl} ms)`,
    failover,
    first.height + 10,
    false,
  );
  const height = first.height + second.height + 20;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="860" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
${first.svg}
${second.svg}
<text x="10" y="${height - 4}" fill="#666">${report.date.slice(0, 10)} · ${report.machine.cores} × ${report.machine.cpus} · Node ${report.machine.node} · Baton in blue, peers in green</text>
</svg>
`;
}

/**
 * Writes the report as JSON, and the chart. A run of some measures only (`subset` names
 * them) goes to its own file and leaves the full run's chart alone.
 */
export async function save(
  report: BenchReport,
  directory: URL,
  subset?: string,
): Promise<{ json: URL; svg: URL | undefined }> {
  await mkdir(directory, { recursive: true });
  const stamp = report.date.slice(0, 10);
  const json = new URL(`bench-${stamp}${subset ? `-${subset}` : ''}.json`, directory);
  const replacer = (_: string, value: unknown): unknown => (typeof value === 'bigint' ? String(value) : value);
  await writeFile(json, `${JSON.stringify(report, replacer, 2)}\n`);
  if (subset) return { json, svg: undefined };
  const svg = new URL('chart.svg', directory);
  await writeFile(svg, chart(report));
  return { json, svg };
}
