import { type Backend, type EndReason, isBatonError, type Leadership, sleep } from '@baton/core/adapter';
import { expect } from 'vitest';
import { LeadershipLog, type SuiteContext, settlesWithin, uniqueElection, within } from '../context.js';
import { runChild } from '../process/spawn.js';
import type { CaseRegistry } from '../registry.js';
import type { CaseId } from '../target.js';

/** A leader on one client and a waiting candidate on another. */
async function leaderAndWaiter(ctx: SuiteContext, label: string) {
  const name = uniqueElection(label);
  const [leaderClient, waiterClient] = [await ctx.client(), await ctx.client()];
  const leadership = await leaderClient.election(name).campaign({ id: 'leader' });
  const waiting = waiterClient.election(name).campaign({ id: 'waiter' });
  waiting.catch(() => undefined);
  return { name, leaderClient, waiterClient, leadership, waiting };
}

async function expectTakeover(ctx: SuiteContext, lost: Leadership, waiting: Promise<Leadership>): Promise<void> {
  const log = new LeadershipLog();
  log.record('leader', lost);
  const successor = await within('a successor', ctx.ttlMs * 4 + 2_000, waiting);
  log.record('waiter', successor);
  expect(successor.id).toBe('waiter');
  expect(successor.token).toBeGreaterThan(lost.token);
  expect(log.overlaps()).toEqual([]);
}

export function lossCases({ ctx, test }: CaseRegistry): void {
  const forgets = (
    id: CaseId,
    what: string,
    act: (name: string, leaderClient: Backend) => Promise<void>,
    reasons: EndReason[],
  ): void => {
    test(
      id,
      `the store forgets the leader (${what}): signal aborts, ended gives the reason, another candidate takes over`,
      async () => {
        const { name, leaderClient, leadership, waiting } = await leaderAndWaiter(ctx, id);
        await act(name, leaderClient);
        const reason = await within('the leader to learn of its loss', ctx.ttlMs * 2 + 1_000, leadership.ended);
        expect(reasons).toContain(reason);
        expect(leadership.signal.aborted).toBe(true);
        expect(leadership.isLeader).toBe(false);
        expect(leadership.signal.reason).toMatchObject({ code: 'ERR_LEADERSHIP_LOST', reason });
        await expectTakeover(ctx, leadership, waiting);
      },
    );
  };
  forgets('6-session-expired', 'its lease or session expires', (_, client) => ctx.target.hooks.expireSession(client), [
    'expired',
    'deposed',
  ]);
  forgets('6-key-deleted', 'its key is deleted', (name) => ctx.target.hooks.deleteLeaderKey(name), ['deposed']);
  forgets('6-key-overwritten', 'its key is overwritten', (name) => ctx.target.hooks.overwriteLeaderKey(name), [
    'deposed',
  ]);

  test(
    '7-waiting-candidate-loses-session',
    'a waiting candidate whose own lease, session or key disappears does not later lead on a dead session',
    async () => {
      const { name, waiterClient, leadership, waiting } = await leaderAndWaiter(ctx, 'waiter-session');
      await sleep(Math.min(300, ctx.ttlMs / 4));
      await ctx.target.hooks.expireSession(waiterClient);
      await sleep(Math.min(300, ctx.ttlMs / 4));
      await leadership.resign();
      // Either the campaign re-queued on a fresh session and leads, or it failed; never a leader on the dead one.
      const outcome = await within(
        'the waiting campaign to settle',
        ctx.ttlMs * 4 + 2_000,
        waiting.then(
          (successor) => ({ successor }),
          (error: unknown) => ({ error }),
        ),
      );
      if ('successor' in outcome) {
        const successor = outcome.successor;
        expect(successor.token).toBeGreaterThan(leadership.token);
        // A leadership on a dead session would lapse; this one must still hold after more than a ttl.
        await sleep(ctx.ttlMs * 1.5);
        expect(successor.isLeader).toBe(true);
        expect(await waiterClient.election(name).leader()).toMatchObject({ id: 'waiter', token: successor.token });
      } else {
        expect(isBatonError(outcome.error)).toBe(true);
        expect(await waiterClient.election(name).leader()).toBeUndefined();
      }
    },
  );

  test(
    '8-abort-pending-campaign',
    'a pending campaign aborted by its signal rejects with AbortError and leaves nothing behind',
    async () => {
      const name = uniqueElection('abort');
      const [a, b, c] = [await ctx.client(), await ctx.client(), await ctx.client()];
      const leadership = await a.election(name).campaign({ id: 'a' });
      const controller = new AbortController();
      const aborted = b.election(name).campaign({ id: 'b', signal: controller.signal });
      await sleep(Math.min(200, ctx.ttlMs / 4));
      controller.abort();
      await expect(within('the aborted campaign to reject', 2_000, aborted)).rejects.toMatchObject({
        name: 'AbortError',
      });

      const third = c.election(name).campaign({ id: 'c' });
      await sleep(Math.min(200, ctx.ttlMs / 4));
      await leadership.resign();
      const next = await within('the next candidate after the aborted one', ctx.ttlMs * 0.8, third);
      expect(next.id).toBe('c');
      expect((await a.election(name).leader())?.id).toBe('c');

      // An already-aborted signal rejects at once, before any round trip.
      await expect(b.election(name).campaign({ signal: AbortSignal.abort() })).rejects.toMatchObject({
        name: 'AbortError',
      });
    },
  );

  test(
    '9-resign-after-store-moved-on',
    "resign() after the store already moved on does not remove the successor's key",
    async () => {
      const { name, leaderClient, leadership, waiting } = await leaderAndWaiter(ctx, 'late-resign');
      await ctx.target.hooks.deleteLeaderKey(name);
      const successor = await within('the successor', ctx.ttlMs * 4 + 2_000, waiting);
      await leadership.resign();
      // The old leader may or may not have heard of the deletion before it resigned (a
      // store without delete notifications learns at its next renewal); either way its
      // release must leave the successor's key alone.
      expect(['deposed', 'resigned']).toContain(await leadership.ended);
      await sleep(100);
      expect(successor.isLeader).toBe(true);
      expect(await leaderClient.election(name).leader()).toMatchObject({ id: 'waiter', token: successor.token });
    },
  );

  test(
    '10-close',
    "close() ends all of the client's leaderships ('closed') and releases its keys at once",
    async () => {
      const [first, second] = [uniqueElection('close-a'), uniqueElection('close-b')];
      const [closing, other] = [await ctx.client(), await ctx.client()];
      const a = await closing.election(first).campaign({ id: 'closing' });
      const b = await closing.election(second).campaign({ id: 'closing' });
      const pendingOnClosing = closing.election(first).campaign({ id: 'closing-2' });
      pendingOnClosing.catch(() => undefined);
      const successor = other.election(first).campaign({ id: 'other' });

      await closing.close();
      expect(await a.ended).toBe('closed');
      expect(await b.ended).toBe('closed');
      expect(a.signal.aborted && b.signal.aborted).toBe(true);
      await expect(pendingOnClosing).rejects.toMatchObject({ code: 'ERR_CLOSED' });
      const next = await within('takeover after close', ctx.ttlMs * 0.8, successor);
      expect(next.token).toBeGreaterThan(a.token);
      expect(await other.election(second).leader()).toBeUndefined();

      await closing.close(); // idempotent
      expect(() => closing.election(first)).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
      expect(await settlesWithin(a.resign(), 1_000)).toBe(true);
    },
  );

  test(
    '10-close-exits',
    'after close() nothing of the client keeps the process alive: it exits by itself',
    async () => {
      const election = uniqueElection('close-exit');
      const child = await runChild('close-and-exit', { url: ctx.target.url, ttlMs: ctx.ttlMs, election }, 30_000);
      expect(child.timedOut, `the child did not exit by itself; stderr: ${child.stderr}`).toBe(false);
      expect(child.code, child.stderr).toBe(0);
      expect(child.lines.map((line) => line.event)).toEqual(['elected', 'closed']);
      expect(child.lines[1]?.reason).toBe('closed');
      const observer = await ctx.client();
      expect(await observer.election(election).leader()).toBeUndefined();
    },
  );
}
