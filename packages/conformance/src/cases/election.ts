import { monotonicNow, sleep } from '@baton/core/adapter';
import { expect } from 'vitest';
import { LeadershipLog, settlesWithin, uniqueElection, within } from '../context.js';
import { record } from '../measurements.js';
import type { CaseRegistry } from '../registry.js';

export function electionCases({ ctx, test }: CaseRegistry): void {
  test(
    '1-one-candidate',
    'one candidate is elected; token > 0; leader() reports its id, value and token, and serialises to JSON',
    async () => {
      const client = await ctx.client();
      const name = uniqueElection('one');
      const election = client.election(name);
      expect(election.name).toBe(name);
      expect(await election.leader()).toBeUndefined();

      const leadership = await within('election', ctx.ttlMs * 3, election.campaign({ id: 'solo', value: 'v1' }));
      expect(leadership.id).toBe('solo');
      expect(leadership.isLeader).toBe(true);
      expect(leadership.signal.aborted).toBe(false);
      expect(leadership.token).toBeGreaterThan(0n);
      expect(await election.leader()).toEqual({ id: 'solo', value: 'v1', token: leadership.token });
      // It serialises: the token as a decimal string.
      expect(JSON.parse(JSON.stringify(await election.leader()))).toEqual({
        id: 'solo',
        value: 'v1',
        token: leadership.token.toString(),
      });

      // Seen the same from another client.
      const other = await ctx.client();
      expect(await other.election(name).leader()).toEqual({ id: 'solo', value: 'v1', token: leadership.token });
    },
  );

  test(
    '2-two-candidates',
    'two candidates: exactly one leads; after resign() the other is elected at once, with a greater token',
    async () => {
      const name = uniqueElection('two');
      const [a, b] = [await ctx.client(), await ctx.client()];
      const first = await a.election(name).campaign({ id: 'a' });
      const second = b.election(name).campaign({ id: 'b' });
      expect(await settlesWithin(second, Math.min(500, ctx.ttlMs / 2))).toBe(false);
      expect((await b.election(name).leader())?.id).toBe('a');

      const resignedAt = monotonicNow();
      await first.resign();
      expect(first.isLeader).toBe(false);
      expect(first.signal.aborted).toBe(true);
      expect(await first.ended).toBe('resigned');
      const next = await within('handover after resign', ctx.ttlMs, second);
      const handoverMs = monotonicNow() - resignedAt;
      record({ backend: ctx.name, measure: 'resign handover', ms: handoverMs, ttlMs: ctx.ttlMs });
      expect(next.id).toBe('b');
      expect(next.token).toBeGreaterThan(first.token);
      // Handover must not wait for a ttl: the resign released the key.
      expect(handoverMs).toBeLessThan(ctx.ttlMs * 0.8);
      expect((await a.election(name).leader())?.id).toBe('b');

      await first.resign(); // idempotent
      expect(next.isLeader).toBe(true);
    },
  );

  test(
    '3-many-candidates',
    'ten candidates over many rounds: never two leaders at once, tokens increase, all lead (in arrival order with fifo)',
    async () => {
      const name = uniqueElection('many');
      const candidates = 10;
      const rounds = 3;
      const clients = await Promise.all(Array.from({ length: candidates }, () => ctx.client()));
      const log = new LeadershipLog();
      const order: string[] = [];

      const runCandidate = async (index: number): Promise<void> => {
        const election = (clients[index] ?? clients[0])?.election(name);
        if (!election) throw new Error('no client');
        for (let round = 0; round < rounds; round++) {
          const leadership = await election.campaign({ id: `c${index}` });
          log.record(`c${index}`, leadership);
          order.push(`c${index}`);
          await sleep(5);
          await leadership.resign();
        }
      };

      // Each client's session or lease is made first (a first campaign may wait for it), so
      // that the spacing below is spent on the campaigns alone.
      await Promise.all(
        clients.map(async (client) =>
          (await client.election(uniqueElection('warm')).campaign({ id: 'warm' })).resign(),
        ),
      );
      // Start candidates one after another so that arrival order is known for the fifo check.
      const runs: Promise<void>[] = [];
      const holdFirst = await clients[0]?.election(name).campaign({ id: 'gate' });
      if (!holdFirst) throw new Error('no gate');
      for (let i = 0; i < candidates; i++) {
        runs.push(runCandidate(i));
        await sleep(100);
      }
      await holdFirst.resign();
      await within('all rounds', ctx.ttlMs * 10 + candidates * rounds * 1_000, Promise.all(runs));

      expect(log.overlaps()).toEqual([]);
      expect(log.tokensIncrease()).toBe(true);
      expect(new Set(order).size).toBe(candidates);
      expect(order).toHaveLength(candidates * rounds);
      if (clients[0]?.capabilities.fifo) {
        expect(order.slice(0, candidates)).toEqual(Array.from({ length: candidates }, (_, i) => `c${i}`));
      }
    },
    120_000,
  );
}
