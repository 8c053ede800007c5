import { readFile } from 'node:fs/promises';
import { eventChannels, metricAttributes, metricNames } from '@baton/core';
import { describe, expect, it } from 'vitest';

const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Operating Baton'), readme.indexOf('## Performance'));

describe("README's Operating Baton section", () => {
  it('lists every metric Baton records, under its OpenTelemetry and Prometheus names', () => {
    for (const name of Object.values(metricNames)) {
      expect(section).toContain(`| \`${name}\` (\`${name.replaceAll('.', '_')}`);
    }
  });

  it('names every attribute and every event channel', () => {
    for (const key of Object.values(metricAttributes)) expect(section).toContain(`\`${key}\``);
    for (const channel of Object.values(eventChannels)) expect(section).toContain(`| \`${channel}\``);
  });
});
