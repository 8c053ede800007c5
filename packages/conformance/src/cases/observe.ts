import type { LeaderInfo } from '@baton/core';
import { expect } from 'vitest';
import { ObservedStates, uniqueElection, within } from '../context.js';
import type { CaseRegistry } from '../registry.js';

const isVacant = (state: LeaderInfo | undefined): boolean => state === undefined;

export function observeCases({ ctx, test }: CaseRegistry): void {
  test(
    '4-observe',
    'observe() yields the current state first, then each change once, in order, vacancies included; it ends on abort',
    async () => {
      const name = uniqueElection('observe');
      const [watcher, a, b] = [await ctx.client(), await ctx.client(), await ctx.client()];
      const wait = ctx.ttlMs * 2;
      const observed = new ObservedStates((signal) => watcher.election(name).observe({ signal }));

      await observed.waitFor('the vacant start', wait, isVacant);
      const first = await a.election(name).campaign({ id: 'a', value: 'one' });
      await observed.waitFor('a elected', wait, (s) => s?.id === 'a');
      await first.proclaim('two');
      await observed.waitFor('a proclaims', wait, (s) => s?.value === 'two');
      await first.resign();
      await observed.waitFor('vacancy after resign', wait, isVacant);
      const second = await b.election(name).campaign({ id: 'b' });
      await observed.waitFor('b elected', wait, (s) => s?.id === 'b');
      await within('observer to end on abort', wait, observed.stop());

      expect(observed.states).toEqual([
        undefined,
        { id: 'a', value: 'one', token: first.token },
        { id: 'a', value: 'two', token: first.token },
        undefined,
        { id: 'b', token: second.token },
      ]);
    },
  );

  test('4-observe-broken-watch', "observe() survives the store's watch being broken, by re-reading", async () => {
    const name = uniqueElection('observe-broken');
    const [watcher, a] = [await ctx.client(), await ctx.client()];
    const wait = ctx.ttlMs * 3;
    const observed = new ObservedStates((signal) => watcher.election(name).observe({ signal }));
    await observed.waitFor('the vacant start', wait, isVacant);

    await ctx.target.hooks.breakWatches(watcher);
    const leadership = await a.election(name).campaign({ id: 'after-break' });
    await observed.waitFor('the leader elected after the break', wait, (s) => s?.id === 'after-break');

    await ctx.target.hooks.breakWatches(watcher);
    await leadership.resign();
    await observed.waitFor('the vacancy after a second break', wait, isVacant);
    await observed.stop();
    // Never the same state twice in a row, whatever the re-reads.
    for (let i = 1; i < observed.states.length; i++) {
      expect(observed.states[i]).not.toEqual(observed.states[i - 1]);
    }
  });

  test('5-proclaim', 'proclaim() is seen by observers and leader(); the token does not change', async () => {
    const name = uniqueElection('proclaim');
    const [leaderClient, watcher] = [await ctx.client(), await ctx.client()];
    const leadership = await leaderClient.election(name).campaign({ id: 'p', value: 'start' });
    const observed = new ObservedStates((signal) => watcher.election(name).observe({ signal }));
    await observed.waitFor('the initial value', ctx.ttlMs * 2, (s) => s?.value === 'start');
    await leadership.proclaim('next');
    await observed.waitFor('the proclaimed value', ctx.ttlMs * 2, (s) => s?.value === 'next');
    expect(await watcher.election(name).leader()).toEqual({ id: 'p', value: 'next', token: leadership.token });
    expect(leadership.isLeader).toBe(true);
    await observed.stop();

    await leadership.resign();
    await expect(leadership.proclaim('after-resign')).rejects.toMatchObject({ code: 'ERR_LEADERSHIP_LOST' });
    expect(await watcher.election(name).leader()).toBeUndefined();
  });
}
