import { defineConfig } from 'vitest/config';

// Tests import packages through their "source" export condition, so they run from
// TypeScript sources without a prior build.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most test time is spent waiting on servers and ttls, not on the CPU: two files at a
    // time even on a 2-core machine (where vitest's default would be one).
    maxWorkers: 2,
    reporters: ['default'],
  },
});
