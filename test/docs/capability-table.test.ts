import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { capabilityTable, withTable } from '../../scripts/capability-table.js';

// The formatter pads table cells; compare the tables cell by cell, not by their padding.
const cells = (markdown: string): string => markdown.replace(/ *\| */g, '|').replace(/\|-{3,}/g, '|---');

describe('docs', () => {
  it("README's capability table is the one generated from the adapters (npm run docs)", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(cells(readme)).toBe(cells(withTable(readme, await capabilityTable())));
  });

  it('every row of the capability table has one cell per column', async () => {
    const rows = (await capabilityTable()).split('\n');
    const columns = (row: string): number => row.split(/(?<!\\)\|/).length;
    for (const row of rows) expect(columns(row), row).toBe(columns(rows[0] ?? ''));
  });
});
