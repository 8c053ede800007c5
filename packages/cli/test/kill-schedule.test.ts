import type { EndReason } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { type KillRule, killPlan } from '../src/kill-schedule.js';

// The rule for SIGKILL after a loss (SIGTERM goes at once). Times are monotonic ms; every
// loss is learned at `at`, with the leadership's local deadline `validUntil`.

type Row = [string, EndReason, number, number | undefined, number, number, KillRule];

const rows: Row[] = [
  // what, reason, at, validUntil, kill-after, SIGKILL at, rule
  ['deposed: at once, whatever the grace and the deadline', 'deposed', 1_000, 5_000, 10_000, 1_000, 'deposed'],
  ['a store without a local deadline: at once', 'connection-lost', 1_000, undefined, 10_000, 1_000, 'no-deadline'],
  ['a loss before the deadline: at the deadline', 'connection-lost', 1_000, 1_800, 10_000, 1_800, 'local-deadline'],
  [
    'a loss before the deadline, short grace: after the grace',
    'connection-lost',
    1_000,
    1_800,
    300,
    1_300,
    'kill-after',
  ],
  ['an expiry, learned at its deadline: at once', 'expired', 1_800, 1_800, 10_000, 1_800, 'local-deadline'],
  ['an expiry learned late (a paused event loop): at once', 'expired', 2_500, 1_800, 10_000, 2_500, 'local-deadline'],
  ['--kill-after 0: together with SIGTERM', 'connection-lost', 1_000, 9_000, 0, 1_000, 'kill-after'],
];

describe('kill schedule after a loss', () => {
  it.each(rows)('%s', (_what, reason, at, validUntil, killAfterMs, killAt, rule) => {
    expect(killPlan({ reason, at, validUntil }, killAfterMs)).toEqual({ at: killAt, rule });
  });
});
