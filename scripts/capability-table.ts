// Generates the README's capability table from the adapters' own `capabilities` objects,
// so that the docs cannot drift from the code. `--write` updates README.md in place.
import { readFile, writeFile } from 'node:fs/promises';
import type { Capabilities } from '@baton/core';
import { findBackend, resolveBackendOptions } from '@baton/core/adapter';

export const TABLE_TTL_MS = 10_000;
const START = '<!-- capabilities:start -->';
const END = '<!-- capabilities:end -->';
// A URL of each scheme with every option at its default.
const backends = [
  { scheme: 'memory', packageName: '@baton/core', url: 'memory://' },
  { scheme: 'etcd', packageName: '@baton/etcd', url: 'etcd://127.0.0.1:2379' },
  { scheme: 'zookeeper', packageName: '@baton/zookeeper', url: 'zookeeper://127.0.0.1:2181' },
  { scheme: 'consul', packageName: '@baton/consul', url: 'consul://127.0.0.1:8500' },
  { scheme: 'redis', packageName: '@baton/redis', url: 'redis://127.0.0.1:6379' },
  { scheme: 'postgres', packageName: '@baton/postgres', url: 'postgres://127.0.0.1:5432/app' },
  { scheme: 'kubernetes', packageName: '@baton/kubernetes', url: 'kubernetes://' },
];

async function capabilitiesOf(scheme: string, packageName: string, url: string): Promise<Capabilities> {
  await import(packageName);
  const factory = findBackend(scheme);
  if (!factory) throw new Error(`${packageName} did not register ${scheme}://`);
  return factory.capabilities(resolveBackendOptions({ ttlMs: TABLE_TTL_MS }), factory.parseUrl(url));
}

/** A table cell's text: a literal pipe would end the cell. */
const cell = (text: string): string => text.replaceAll('|', '\\|');

function seconds(ms: number): string {
  return ms >= 1_000 ? `${ms / 1_000} s` : `${ms} ms`;
}

export async function capabilityTable(): Promise<string> {
  const header = [
    'backend',
    'fencing token',
    'token can regress',
    'ttl (min, step)',
    'fifo',
    'leader read',
    'notify',
    `worst-case failover (ttl ${seconds(TABLE_TTL_MS)})`,
  ];
  const rows: string[][] = [];
  for (const { scheme, packageName, url } of backends) {
    const c = await capabilitiesOf(scheme, packageName, url);
    rows.push([
      scheme,
      cell(c.fencing.source),
      cell(c.fencing.regression),
      `${seconds(c.minTtlMs)}, ${seconds(c.ttlResolutionMs)}`,
      c.fifo ? 'yes' : 'no',
      c.leaderRead,
      c.notify,
      `${cell(c.worstCaseFailover)} = ${seconds(c.worstCaseFailoverMs)}`,
    ]);
  }
  return markdownTable(header, rows);
}

/** A table with every column padded to its widest cell, as the formatter writes Markdown tables. */
function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, 3, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((text, column) => text.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** README.md with the table between its markers replaced by `table`. */
export function withTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} section`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

if (process.argv.includes('--write')) {
  const path = new URL('../README.md', import.meta.url);
  const readme = await readFile(path, 'utf8');
  await writeFile(path, withTable(readme, await capabilityTable()));
  console.log('README.md capability table updated');
}
