import { describe, expect, it } from 'vitest';
import { killPlan } from '../src/kill-schedule.js';

// The rule for SIGKILL after a loss (SIGTERM goes at once); times are monotonic ms.

describe('kill schedule after a loss', () => {
  it('deposed: at once, whatever the grace and the deadline', () => {
    expect(killPlan({ reason: 'deposed', at: 1_000, validUntil: 5_000 }, 10_000)).toEqual({
      at: 1_000,
      rule: 'deposed',
    });
  });

  it('a store without a local deadline: at once', () => {
    expect(killPlan({ reason: 'connection-lost', at: 1_000, validUntil: undefined }, 10_000)).toEqual({
      at: 1_000,
      rule: 'no-deadline',
    });
  });

  it('a loss before the deadline: the grace, cut short at the local deadline', () => {
    expect(killPlan({ reason: 'connection-lost', at: 1_000, validUntil: 1_800 }, 10_000)).toEqual({
      at: 1_800,
      rule: 'local-deadline',
    });
    expect(killPlan({ reason: 'connection-lost', at: 1_000, validUntil: 1_800 }, 300)).toEqual({
      at: 1_300,
      rule: 'kill-after',
    });
  });

  it('an expiry, learned at or after the deadline: at once', () => {
    expect(killPlan({ reason: 'expired', at: 1_800, validUntil: 1_800 }, 10_000)).toEqual({
      at: 1_800,
      rule: 'local-deadline',
    });
    expect(killPlan({ reason: 'expired', at: 2_500, validUntil: 1_800 }, 10_000)).toEqual({
      at: 2_500,
      rule: 'local-deadline',
    });
  });

  it('--kill-after 0: SIGKILL together with SIGTERM', () => {
    expect(killPlan({ reason: 'connection-lost', at: 1_000, validUntil: 9_000 }, 0)).toEqual({
      at: 1_000,
      rule: 'kill-after',
    });
  });
});
