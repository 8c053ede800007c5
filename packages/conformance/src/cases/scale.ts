import { type Leadership, sleep } from '@baton/core/adapter';
import { expect } from 'vitest';
import { uniqueElection, within } from '../context.js';
import type { CaseRegistry } from '../registry.js';

const ELECTIONS = 200;

export function scaleCases({ ctx, test }: CaseRegistry): void {
  test(
    '15-many-elections',
    `one client leads ${ELECTIONS} elections at once, keeps them past a ttl, and closes them all`,
    async () => {
      const client = await ctx.client();
      const prefix = uniqueElection('scale');
      const leaderships = await within(
        `${ELECTIONS} campaigns`,
        ctx.ttlMs * 10 + 30_000,
        Promise.all(
          Array.from({ length: ELECTIONS }, (_, i) => client.election(`${prefix}/${i}`).campaign({ id: `e${i}` })),
        ),
      );
      expect(new Set(leaderships.map((l) => `${l.token}`)).size).toBeGreaterThan(0);
      await sleep(ctx.ttlMs * 1.5);
      expect(leaderships.filter((l) => !l.isLeader)).toHaveLength(0);
      const other = await ctx.client();
      expect((await other.election(`${prefix}/${ELECTIONS - 1}`).leader())?.id).toBe(`e${ELECTIONS - 1}`);
      await client.close();
      expect(new Set(await Promise.all(leaderships.map((l) => l.ended)))).toEqual(new Set(['closed']));
    },
    120_000,
  );

  test(
    '15-shared-renewal',
    'renewal traffic does not grow with the number of elections held (where the store can share renewals; else one renewal per election per period)',
    async () => {
      const count = ctx.target.hooks.renewalCount;
      if (!count) throw new Error('this target has no renewalCount hook; declare the case skipped with a reason');
      const renewalsWhileHolding = async (elections: number): Promise<number> => {
        const client = await ctx.client();
        const prefix = uniqueElection(`renewal-${elections}`);
        const held: Leadership[] = await Promise.all(
          Array.from({ length: elections }, (_, i) => client.election(`${prefix}/${i}`).campaign()),
        );
        const before = await count();
        await sleep(ctx.ttlMs * 2);
        const after = await count();
        expect(held.every((l) => l.isLeader)).toBe(true);
        await client.close();
        return after - before;
      };
      const one = await renewalsWhileHolding(1);
      const many = await renewalsWhileHolding(100);
      expect(one).toBeGreaterThan(0);
      if ((ctx.target.renewals ?? 'shared') === 'shared') {
        // Shared: the same order of renewals for 100 elections as for one, not 100 times as many.
        expect(many).toBeLessThanOrEqual(one * 3 + 6);
      } else {
        // Per election: each of the 100 renewed once per period, as the single one was; a
        // period more or less at either end of the window, and nothing beyond.
        expect(many).toBeGreaterThanOrEqual(100 * Math.max(1, one - 2));
        expect(many).toBeLessThanOrEqual(100 * (one + 2));
      }
    },
    120_000,
  );
}
