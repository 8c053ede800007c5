import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { FailoverResult } from './failover.js';
import type { HandoverResult } from './handover.js';
import type { ScaleResult } from './scale.js';
import type { Summary } from './stats.js';

export interface LibraryResult {
  readonly library: string;
  readonly handover?: HandoverResult;
  readonly throughput?: Record<string, number>;
  readonly notes: string[];
}

export interface BackendResult {
  readonly backend: string;
  readonly ttlMs: number;
  readonly libraries: LibraryResult[];
  readonly failover?: FailoverResult;
  readonly scale: ScaleResult[];
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
const summary = (s: Summary | undefined): string =>
  s ? `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}` : 'cannot observe';

/** The table printed on stdout and pasted into the README. */
export function table(report: BenchReport): string {
  const lines: string[] = [];
  lines.push(
    '| backend | library | handover: elected p50 / p99 / max (ms) | handover: observed p50 / p99 / max (ms) | cycles/s (2 / 10 candidates) | baton/peer (elected p50, cycles/s with 2) |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const backend of report.backends) {
    const baton = backend.libraries.find((l) => l.library === 'baton');
    for (const library of backend.libraries) {
      const ratio =
        library === baton || !baton?.handover || !library.handover
          ? ''
          : `${(baton.handover.elected.p50 / library.handover.elected.p50).toFixed(2)}x latency, ${(
              (baton.throughput?.['2'] ?? Number.NaN) / (library.throughput?.['2'] ?? Number.NaN)
            ).toFixed(2)}x throughput`;
      lines.push(
        `| ${backend.backend} | ${library.library} | ${summary(library.handover?.elected)} | ${summary(library.handover?.observed)} | ${ms(library.throughput?.['2'])} / ${ms(library.throughput?.['10'])} | ${ratio} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    '| backend | ttl (ms) | crash failover p50 / p99 / max (ms) | p50 / ttl | elections held: campaign all (ms), bytes/election, renewals/s |',
  );
  lines.push('| --- | --- | --- | --- | --- |');
  for (const backend of report.backends) {
    const scale = backend.scale
      .map(
        (s) =>
          `${s.elections}: ${s.error ? `stopped (${s.error})` : `${ms(s.campaignAllMs)}, ${Math.round(s.bytesPerElection)}, ${ms(s.renewalsPerSecond)}`}`,
      )
      .join('; ');
    const failover = backend.failover;
    lines.push(
      `| ${backend.backend} | ${backend.ttlMs} | ${failover ? summary(failover.ms) : '-'} | ${failover ? failover.ratioToTtl.toFixed(2) : '-'} | ${scale} |`,
    );
  }
  const notes = report.backends.flatMap((b) =>
    [...b.notes, ...b.libraries.flatMap((l) => l.notes)].map((n) => `- ${b.backend}: ${n}`),
  );
  if (notes.length > 0) lines.push('', ...notes);
  return lines.join('\n');
}

/** A bar chart of handover (elected p50) and crash failover (p50) per backend, as SVG. */
export function chart(report: BenchReport): string {
  const rows = report.backends.flatMap((b) => [
    ...b.libraries.map((l) => ({ label: `${b.backend} ${l.library} handover`, value: l.handover?.elected.p50 ?? 0 })),
    ...(b.failover ? [{ label: `${b.backend} baton crash failover`, value: b.failover.ms.p50 }] : []),
  ]);
  const max = Math.max(1, ...rows.map((r) => r.value));
  const rowHeight = 22;
  const width = 860;
  const labelWidth = 300;
  const scale = (value: number): number => (Math.log10(1 + value) / Math.log10(1 + max)) * (width - labelWidth - 90);
  const bars = rows
    .map((row, i) => {
      const y = 30 + i * rowHeight;
      const barWidth = Math.max(1, scale(row.value));
      return `<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${row.label}</text><rect x="${labelWidth}" y="${y + 3}" width="${barWidth.toFixed(1)}" height="15" fill="${row.label.includes('failover') ? '#c0504d' : row.label.includes(' baton ') ? '#4f81bd' : '#9bbb59'}"/><text x="${(labelWidth + barWidth + 6).toFixed(1)}" y="${y + 14}">${row.value.toFixed(1)} ms</text>`;
    })
    .join('\n');
  const height = 50 + rows.length * rowHeight;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="18" font-weight="bold">Handover (resign to next leader, p50) and crash failover (SIGKILL to next leader, p50); log scale</text>
${bars}
</svg>
`;
}

export async function save(report: BenchReport, directory: URL): Promise<{ json: URL; svg: URL }> {
  await mkdir(directory, { recursive: true });
  const stamp = report.date.slice(0, 10);
  const json = new URL(`bench-${stamp}.json`, directory);
  const svg = new URL('chart.svg', directory);
  const replacer = (_: string, value: unknown): unknown => (typeof value === 'bigint' ? String(value) : value);
  await writeFile(json, `${JSON.stringify(report, replacer, 2)}\n`);
  await writeFile(svg, chart(report));
  return { json, svg };
}
