import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { withSection } from '../../scripts/readme-section.js';
import { failoverTable, newestResults, soakTables, summaryTable } from '../../scripts/soak-table.js';
import type { SoakResults } from '../soak/report.js';

// The formatter pads table cells; compare the tables cell by cell, not by their padding.
const cells = (markdown: string): string => markdown.replace(/ *\| */g, '|').replace(/\|-{3,}/g, '|---');

describe('docs', () => {
  it("README's soak tables are the ones generated from the newest bench/results/soak-*.json (npm run docs)", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(cells(readme)).toBe(cells(withSection(readme, 'soak', await soakTables())));
  });

  it('every row of the soak tables has one cell per column', async () => {
    const results = JSON.parse(await readFile(await newestResults(), 'utf8')) as SoakResults;
    for (const table of [summaryTable(results), failoverTable(results)]) {
      const rows = table.split('\n');
      const columns = (row: string): number => row.split(/(?<!\\)\|/).length;
      for (const row of rows) expect(columns(row), row).toBe(columns(rows[0] ?? ''));
    }
  });
});
