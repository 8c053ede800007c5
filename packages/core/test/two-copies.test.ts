import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Election } from '../src/index.js';
import {
  AbortError,
  BatonError,
  ClosedError,
  InvalidArgumentError,
  isBatonError,
  LeadershipLostError,
  runAsLeader,
} from '../src/index.js';

type Core = typeof import('../src/index.js');

// A second, separate copy of @baton/core's build, as npm nests one under an adapter whose
// range does not match the application's copy.
const built = fileURLToPath(new URL('../dist', import.meta.url));
let dir: string;
let other: Core;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-second-core-'));
  await cp(built, join(dir, 'dist'), { recursive: true });
  other = (await import(pathToFileURL(join(dir, 'dist', 'index.js')).href)) as Core;
  expect(other.BatonError).not.toBe(BatonError);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('errors survive two copies of @baton/core in one process', () => {
  it("isBatonError and instanceof recognise the other copy's errors, by class", () => {
    const closed = new other.ClosedError();
    expect(isBatonError(closed)).toBe(true);
    expect(isBatonError(closed, 'ERR_CLOSED')).toBe(true);
    expect(isBatonError(closed, 'ERR_INVALID_ARGUMENT')).toBe(false);
    expect(closed instanceof BatonError).toBe(true);
    expect(closed instanceof ClosedError).toBe(true);
    expect(closed instanceof InvalidArgumentError).toBe(false);
    expect(new other.AbortError() instanceof AbortError).toBe(true);
    expect(new other.LeadershipLostError('expired') instanceof LeadershipLostError).toBe(true);
    // And the other way round.
    expect(other.isBatonError(new InvalidArgumentError('x'), 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect(new InvalidArgumentError('x') instanceof other.InvalidArgumentError).toBe(true);
    // Errors that are not Baton's stay out.
    expect(isBatonError(new Error('ERR_CLOSED'))).toBe(false);
    expect(Object.assign(new Error('x'), { code: 'ERR_CLOSED' }) instanceof BatonError).toBe(false);
  });

  it("runAsLeader stops at once on the other copy's ERR_CLOSED instead of retrying forever", async () => {
    let campaigns = 0;
    const election: Election = {
      name: 'two-copies',
      campaign: async () => {
        campaigns++;
        throw new other.ClosedError();
      },
      leader: async () => undefined,
      observe: () => ({ [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) }),
    };
    const started = performance.now();
    await expect(runAsLeader(election, async () => {})).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(campaigns).toBe(1);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('shares one registry of adapters: memory:// registered by either copy connects through the other', async () => {
    const backend = await other.connect('memory://two-copies');
    expect(backend.kind).toBe('memory');
    await backend.close();
  });
});
