import { type Backend, monotonicNow } from '@baton/core/adapter';
import { expect } from 'vitest';
import { uniqueElection } from '../context.js';
import type { CaseRegistry } from '../registry.js';

const invalid = { code: 'ERR_INVALID_ARGUMENT' };

const badNames: unknown[] = [
  '',
  'a'.repeat(129),
  '/leading',
  'trailing/',
  'double//slash',
  'dot/./segment',
  'dotdot/../segment',
  '..',
  'space in name',
  'ümlaut',
  'star*',
  42,
  undefined,
];

export function inputCases({ ctx, test }: CaseRegistry): void {
  test(
    '14-bad-input',
    'bad names, ids, values and options get ERR_INVALID_ARGUMENT at once, alike on every backend',
    async () => {
      const client = await ctx.client();
      for (const name of badNames) {
        expect(() => client.election(name as string), `name ${JSON.stringify(name)}`).toThrow(
          expect.objectContaining(invalid),
        );
      }
      expect(client.election('a').name).toBe('a');
      expect(client.election('A-z_0.9/x/y').name).toBe('A-z_0.9/x/y');
      expect(client.election('x'.repeat(128)).name).toHaveLength(128);

      const election = client.election(uniqueElection('input'));
      const started = monotonicNow();
      await expect(election.campaign({ value: 'x'.repeat(5 * 1024) })).rejects.toMatchObject(invalid);
      await expect(election.campaign({ value: 'é'.repeat(2049) })).rejects.toMatchObject(invalid);
      await expect(election.campaign({ id: '' })).rejects.toMatchObject(invalid);
      await expect(election.campaign({ id: 'has space' })).rejects.toMatchObject(invalid);
      await expect(election.campaign({ value: 3 as unknown as string })).rejects.toMatchObject(invalid);
      await expect(election.campaign({ signal: {} as AbortSignal })).rejects.toMatchObject(invalid);
      // A misspelt option is refused, naming the one it meant, not silently ignored.
      await expect(election.campaign({ ID: 'x' } as never)).rejects.toThrow(/"ID".*"id"/);
      expect(monotonicNow() - started).toBeLessThan(500);
      // Nothing was left behind by the refused campaigns.
      expect(await election.leader()).toBeUndefined();

      const leadership = await election.campaign({ value: 'é'.repeat(2048) });
      await expect(leadership.proclaim('x'.repeat(4097))).rejects.toMatchObject(invalid);
      expect(leadership.isLeader).toBe(true);
      await leadership.resign();

      for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1000']) {
        await expect(ctx.target.connect({ ttlMs: ttlMs as number })).rejects.toMatchObject(invalid);
      }
      await expect(ctx.target.connect({ connectTimeoutMs: 0 })).rejects.toMatchObject(invalid);
      await expect(ctx.target.connect({ onDisconnect: 'sometimes' as 'abort' })).rejects.toMatchObject(invalid);
      await expect(ctx.target.connect({ ttl: 5_000 } as never)).rejects.toMatchObject(invalid);
      await expect(ctx.target.connect({ ttl: 5_000 } as never)).rejects.toThrow(/"ttl".*did you mean "ttlMs"/);
      await expect(ctx.target.connect({ requires: ['telepathy' as 'fifo'] })).rejects.toMatchObject(invalid);

      const { connect } = await import('@baton/core');
      for (const url of ['', 'not a url', 'nosuchstore://127.0.0.1:1', 42]) {
        await expect(connect(url as string)).rejects.toMatchObject(invalid);
      }
    },
  );

  test(
    '14-unreachable',
    'an unreachable store fails with ERR_BACKEND_UNAVAILABLE within connectTimeoutMs',
    async () => {
      const { connect } = await import('@baton/core');
      const connectTimeoutMs = 1_000;
      const started = monotonicNow();
      let backend: Backend | undefined;
      try {
        backend = await connect(ctx.target.unreachableUrl, { connectTimeoutMs, ttlMs: ctx.ttlMs });
      } catch (error) {
        expect(error).toMatchObject({ code: 'ERR_BACKEND_UNAVAILABLE' });
      } finally {
        await backend?.close();
      }
      expect(backend, 'connect to an unreachable store must fail').toBeUndefined();
      expect(monotonicNow() - started).toBeLessThan(connectTimeoutMs + 1_000);
    },
  );
}
