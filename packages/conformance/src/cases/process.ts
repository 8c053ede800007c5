import { type Backend, type DisconnectPolicy, type Leadership, monotonicNow, sleep } from '@baton/core/adapter';
import { expect } from 'vitest';
import { type SuiteContext, settlesWithin, uniqueElection, within } from '../context.js';
import { type FaultMode, FaultProxy } from '../fault-proxy.js';
import { record } from '../measurements.js';
import type { CandidatePlan } from '../process/candidate.js';
import { type CandidateEvent, CandidateProcess } from '../process/candidate-process.js';
import { FencedResource } from '../process/fenced-resource.js';
import { judgeTimeline, msUntilElected } from '../process/timeline.js';
import type { CaseRegistry } from '../registry.js';
import type { FaultHooks } from '../target.js';

export interface Stage {
  readonly resource: FencedResource;
  readonly candidates: CandidateProcess[];
  readonly proxies: FaultProxy[];
}

export async function withStage(body: (stage: Stage) => Promise<void>): Promise<void> {
  const stage: Stage = { resource: await FencedResource.start(), candidates: [], proxies: [] };
  try {
    await body(stage);
  } finally {
    await Promise.allSettled(stage.candidates.map((candidate) => candidate.stop()));
    await Promise.allSettled(stage.proxies.map((proxy) => proxy.stop()));
    await stage.resource.stop();
  }
}

export function faults(ctx: SuiteContext): FaultHooks {
  const hooks = ctx.target.faults;
  if (!hooks) throw new Error('this target has no fault hooks; declare the process-level cases skipped');
  return hooks;
}

export async function launch(
  ctx: SuiteContext,
  stage: Stage,
  election: string,
  id: string,
  url = ctx.target.url,
  onDisconnect: DisconnectPolicy = 'abort',
  more: Pick<CandidatePlan, 'metrics'> = {},
) {
  const candidate = await CandidateProcess.start({
    url,
    ttlMs: ctx.ttlMs,
    election,
    id,
    resourceUrl: stage.resource.url,
    onDisconnect,
    ...more,
  });
  stage.candidates.push(candidate);
  return candidate;
}

export async function leaderAmong(candidates: CandidateProcess[], timeoutMs: number): Promise<CandidateProcess> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const leader = candidates.find((candidate) => candidate.isLeaderNow());
    if (leader) return leader;
    await sleep(10);
  }
  throw new Error(`no leader among ${candidates.map((c) => c.id).join(', ')} within ${timeoutMs} ms`);
}

export function expectCleanTimeline(stage: Stage): void {
  const verdict = judgeTimeline(stage.candidates, stage.resource.writes);
  expect(verdict.overlaps, 'two processes held leadership at one instant').toEqual([]);
  expect(verdict.tokensIncrease, 'tokens must increase from one leadership to the next').toBe(true);
  expect(verdict.acceptedStaleWrites, 'the fenced resource accepted a stale write').toEqual([]);
  expect(verdict.acceptedOutOfOrder).toEqual([]);
}

/**
 * After a store restart: a candidate elected anew, or, under 'tolerate-until-deadline', the
 * old leader still leading because a renewal after the restart was confirmed (its deadline
 * moved past the restart by more than half a ttl, and it never reported a loss).
 */
async function recoveryAfter(
  candidates: readonly CandidateProcess[],
  marks: ReadonlyMap<CandidateProcess, number>,
  leader: CandidateProcess,
  readyAt: bigint,
  ttlMs: number,
  timeoutMs: number,
): Promise<
  | { readonly kind: 'elected'; readonly candidate: CandidateProcess; readonly event: CandidateEvent }
  | { readonly kind: 'rode-out' }
> {
  const renewedPast = readyAt + BigInt(Math.round(ttlMs * 0.5e6));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const candidate of candidates) {
      const event = candidate.events.slice(marks.get(candidate)).find((e) => e.event === 'elected');
      if (event) return { kind: 'elected', candidate, event };
    }
    const since = leader.events.slice(marks.get(leader));
    if (
      !since.some((e) => e.event === 'lost') &&
      since.some((e) => e.event === 'deadline' && e.validUntil !== undefined && BigInt(e.validUntil) > renewedPast)
    ) {
      return { kind: 'rode-out' };
    }
    await sleep(10);
  }
  const last = candidates.map((c) => `${c.id}: ${c.events.at(-1)?.event ?? 'none'}`).join(', ');
  const stderr = candidates.map((c) => `--- ${c.id} stderr:\n${c.stderrText.slice(-2_000)}`).join('\n');
  throw new Error(`no leader within ${timeoutMs} ms of the store restart (last events: ${last})\n${stderr}`);
}

export function processCases({ ctx, test }: CaseRegistry): void {
  const slack = (): number => ctx.ttlMs * 2 + 5_000;

  /** A leader that reaches the store through a FaultProxy, and a waiter that reaches it directly. */
  const leaderBehindProxy = async (
    stage: Stage,
    name: string,
    id: string,
    onDisconnect: DisconnectPolicy = 'abort',
  ) => {
    const hooks = faults(ctx);
    const election = uniqueElection(name);
    const proxy = await FaultProxy.start(hooks.storeHost, hooks.storePort);
    stage.proxies.push(proxy);
    const leader = await launch(ctx, stage, election, id, hooks.urlVia(proxy.host, proxy.port), onDisconnect);
    await leader.waitFor('the proxied candidate to lead', slack(), (e) => e.event === 'elected');
    const waiter = await launch(ctx, stage, election, 'direct', ctx.target.url, onDisconnect);
    await sleep(200);
    return { proxy, leader, waiter };
  };

  /** Puts the proxy in `mode`; resolves with the leader's step-down and the ms it took. */
  const stepDownUnder = async (proxy: FaultProxy, leader: CandidateProcess, mode: FaultMode, what: string) => {
    const from = leader.events.length;
    const faultedAt = process.hrtime.bigint();
    proxy.setMode(mode);
    const lost = await leader.waitFor(what, ctx.ttlMs + 5_000, (e) => e.event === 'lost', from);
    return { lost, ms: Number(BigInt(lost.at) - faultedAt) / 1e6 };
  };

  test(
    '11-crash',
    'a leader process killed with SIGKILL is replaced within the declared worst-case failover, with a greater token',
    async () => {
      await withStage(async (stage) => {
        const election = uniqueElection('crash');
        const capabilities = (await ctx.client()).capabilities;
        for (const id of ['p1', 'p2', 'p3']) await launch(ctx, stage, election, id);
        const leader = await leaderAmong(stage.candidates, slack());
        const elected = await leader.waitFor('election', 1_000, (e) => e.event === 'elected');
        await sleep(100);
        leader.signal('SIGKILL');
        const killedAt = leader.signals.at(-1)?.at ?? 0n;
        const successor = await leaderAmong(
          stage.candidates.filter((c) => c !== leader),
          capabilities.worstCaseFailoverMs + 5_000,
        );
        const failoverMs = msUntilElected(stage.candidates, killedAt, leader.id) ?? Number.NaN;
        record({ backend: ctx.name, measure: 'failover after SIGKILL', ms: failoverMs, ttlMs: ctx.ttlMs });
        expect(failoverMs).toBeLessThanOrEqual(capabilities.worstCaseFailoverMs + 1_000);
        const next = await successor.waitFor('election', 1_000, (e) => e.event === 'elected');
        expect(BigInt(next.token ?? 0)).toBeGreaterThan(BigInt(elected.token ?? 0));
        await sleep(200);
        expectCleanTimeline(stage);
      });
    },
  );

  test(
    '12-pause',
    'a leader frozen past its ttl: a successor leads; resumed, the old leader stops before acting and its stale write is refused',
    async () => {
      await withStage(async (stage) => {
        const election = uniqueElection('pause');
        const capabilities = (await ctx.client()).capabilities;
        for (const id of ['p1', 'p2']) await launch(ctx, stage, election, id);
        const leader = await leaderAmong(stage.candidates, slack());
        await sleep(100);
        leader.signal('SIGSTOP');
        const other = stage.candidates.find((c) => c !== leader) as CandidateProcess;
        await other.waitFor('the successor', capabilities.worstCaseFailoverMs + 5_000, (e) => e.event === 'elected');
        await other.waitFor('the successor writing', 5_000, (e) => e.event === 'wrote' && e.accepted === true);
        const resumedFrom = leader.events.length;
        leader.signal('SIGCONT');
        const lost = await leader.waitFor(
          'the resumed leader to step down',
          ctx.ttlMs + 5_000,
          (e) => e.event === 'lost',
          resumedFrom,
        );
        // Its own check found the deadline passed: it began no write between resuming and
        // stepping down (a reply read after resuming may belong to a write sent before the pause).
        const actedAfterResume = leader.events
          .slice(resumedFrom)
          .filter((e) => e.event === 'acting' && BigInt(e.at) < BigInt(lost.at));
        expect(actedAfterResume).toEqual([]);
        leader.send('write-stale');
        const stale = await leader.waitFor('the stale write', 5_000, (e) => e.event === 'wrote' && e.stale === true);
        expect(stale.accepted).toBe(false);
        expectCleanTimeline(stage);
      });
    },
  );

  test(
    '13-partition',
    'a leader cut off by a blackhole steps down by its local deadline, before a successor is elected; healed, it leads again with a greater token',
    async () => {
      await withStage(async (stage) => {
        const { proxy, leader: cutOff, waiter: other } = await leaderBehindProxy(stage, 'partition', 'cut-off');
        const { lost, ms: stepDownMs } = await stepDownUnder(proxy, cutOff, 'blackhole', 'step-down under blackhole');
        record({
          backend: ctx.name,
          measure: 'step-down under blackhole',
          ms: stepDownMs,
          ttlMs: ctx.ttlMs,
        });
        expect(stepDownMs).toBeLessThanOrEqual(ctx.ttlMs + 500);
        const successor = await other.waitFor('a successor', slack() * 2, (e) => e.event === 'elected');
        expect(BigInt(lost.at)).toBeLessThanOrEqual(BigInt(successor.at));

        proxy.setMode('pass');
        proxy.resetConnections();
        const healedFrom = cutOff.events.length;
        other.send('exit');
        const again = await cutOff.waitFor(
          'the healed candidate to lead again',
          slack() * 2,
          (e) => e.event === 'elected',
          healedFrom,
        );
        expect(BigInt(again.token ?? 0)).toBeGreaterThan(BigInt(successor.token ?? 0));
        // The successor prints its loss once its release is done, on a pipe of its own: the
        // healed candidate's election can be read first. Judge once it has said everything.
        await within('the successor to exit', 10_000, other.exited);
        expectCleanTimeline(stage);
      });
    },
  );

  test(
    '13-lost-replies',
    'a leader whose requests reach the store but whose replies are lost steps down by its local deadline, and its unheard renewals do not keep the store from electing another',
    async () => {
      await withStage(async (stage) => {
        const { proxy, leader: deaf, waiter: other } = await leaderBehindProxy(stage, 'replies', 'deaf');
        const { lost, ms } = await stepDownUnder(proxy, deaf, 'drop-responses', 'step-down without replies');
        expect(ms).toBeLessThanOrEqual(ctx.ttlMs + 500);
        // The store still hears the deaf client; having stepped down, it must stop renewing
        // what it held (or release it), so that the election moves on.
        const successor = await other.waitFor('a successor', slack() * 2, (e) => e.event === 'elected');
        expect(BigInt(lost.at)).toBeLessThanOrEqual(BigInt(successor.at));
        proxy.setMode('pass');
        proxy.resetConnections();
        expectCleanTimeline(stage);
      });
    },
  );

  test(
    '13-slow-renewal',
    'renewals slower than the ttl: the leader steps down on its deadline and a late reply does not revive it',
    async () => {
      await withStage(async (stage) => {
        const hooks = faults(ctx);
        const election = uniqueElection('slow');
        const proxy = await FaultProxy.start(hooks.storeHost, hooks.storePort);
        stage.proxies.push(proxy);
        const slow = await launch(ctx, stage, election, 'slow', hooks.urlVia(proxy.host, proxy.port));
        const elected = await slow.waitFor('the proxied candidate to lead', slack(), (e) => e.event === 'elected');
        const from = slow.events.length;
        proxy.setLatency(ctx.ttlMs * 1.5);
        const lost = await slow.waitFor(
          'step-down on the deadline',
          ctx.ttlMs * 2 + 5_000,
          (e) => e.event === 'lost',
          from,
        );
        expect(['expired', 'connection-lost']).toContain(lost.reason);
        // Late replies keep arriving for a while; none may bring the old term back.
        await sleep(ctx.ttlMs * 2);
        const revived = slow.events
          .slice(from)
          .filter((e) => e.event === 'acting' && e.token === elected.token && BigInt(e.at) > BigInt(lost.at));
        expect(revived).toEqual([]);
        expectCleanTimeline(stage);
      });
    },
  );

  /**
   * Restarts the store `rounds` times under two candidate processes with the given policy:
   * after each restart the election recovers without restarting the clients, no two lead at
   * one instant, tokens never go back.
   */
  const restartRounds = async (label: string, onDisconnect: DisconnectPolicy, rounds: number): Promise<void> => {
    await withStage(async (stage) => {
      const hooks = faults(ctx);
      const election = uniqueElection(label);
      for (const id of ['p1', 'p2']) await launch(ctx, stage, election, id, ctx.target.url, onDisconnect);
      let leader = await leaderAmong(stage.candidates, slack());
      let before = await leader.waitFor('election', 1_000, (e) => e.event === 'elected');
      const capabilities = (await ctx.client()).capabilities;
      for (let round = 0; round < rounds; round++) {
        const marks = new Map(stage.candidates.map((c) => [c, c.events.length]));
        await hooks.restartStore();
        const readyAt = process.hrtime.bigint();
        const recovered = await recoveryAfter(stage.candidates, marks, leader, readyAt, ctx.ttlMs, slack() * 3);
        const recoveryMs = recovered.kind === 'rode-out' ? 0 : Number(BigInt(recovered.event.at) - readyAt) / 1e6;
        record({ backend: ctx.name, measure: 'leader again after a store restart', ms: recoveryMs, ttlMs: ctx.ttlMs });
        // The store is back: the old leader's key goes within the declared failover at worst,
        // and a client reconnects within its backoff (at most 2 s); no longer wait than that.
        expect(
          recoveryMs,
          `round ${round + 1}: ${Math.round(recoveryMs)} ms from the store being ready to a leader`,
        ).toBeLessThanOrEqual(capabilities.worstCaseFailoverMs + 2_000);
        if (recovered.kind === 'elected') {
          expect(BigInt(recovered.event.token ?? 0)).toBeGreaterThan(BigInt(before.token ?? 0));
          leader = recovered.candidate;
          before = recovered.event;
        }
        // Let the leader write for a while, so that a stale one would be caught acting.
        await sleep(ctx.ttlMs / 2);
      }
      expectCleanTimeline(stage);
    });
  };

  test(
    '13-store-restart',
    'the store restarts under a leader and a waiter: the election recovers without restarting the clients; tokens never go back',
    () => restartRounds('restart', 'abort', 1),
    180_000,
  );

  test(
    '13-store-restart-tolerate',
    "under 'tolerate-until-deadline', a store restart (losing its state where the store keeps none), even one the leader cannot hear of, never lets a successor lead before the old leader's deadline",
    async () => {
      await restartRounds('restart-tolerate', 'tolerate-until-deadline', 2);
      // The leader's connection goes silent as the store restarts: it hears neither the
      // restart nor its key's loss, and believes it leads until its local deadline.
      await withStage(async (stage) => {
        const hooks = faults(ctx);
        const { proxy, leader, waiter } = await leaderBehindProxy(
          stage,
          'restart-unheard',
          'unheard',
          'tolerate-until-deadline',
        );
        const from = leader.events.length;
        proxy.setMode('blackhole');
        await hooks.restartStore();
        await waiter.waitFor('a successor', slack() * 3, (e) => e.event === 'elected');
        await leader.waitFor('the unheard leader to step down', slack(), (e) => e.event === 'lost', from);
        proxy.setMode('pass');
        proxy.resetConnections();
        expectCleanTimeline(stage);
      });
    },
    300_000,
  );

  test(
    '13-store-restart-reconnect',
    'a client that saw the store go down (its calls failing meanwhile) is served again within 2.5 s of the store being back',
    async () => {
      const hooks = faults(ctx);
      const name = uniqueElection('reconnect');
      const client = await ctx.client();
      await client.election(name).leader();
      // Keep calling through the outage, as leaders and waiters do: each failed call is what a
      // client-side circuit breaker counts (a client may also hold calls until the store is back).
      let calling = true;
      const caller = (async () => {
        while (calling) {
          await client
            .election(name)
            .leader()
            .catch(() => undefined);
          await sleep(50);
        }
      })();
      try {
        await hooks.restartStore();
      } finally {
        calling = false;
        await caller;
      }
      const readyAt = monotonicNow();
      let lastError: unknown;
      for (;;) {
        try {
          await client.election(name).leader();
          break;
        } catch (error) {
          lastError = error;
          if (monotonicNow() - readyAt > 10_000) break;
          await sleep(50);
        }
      }
      const servedAfterMs = monotonicNow() - readyAt;
      record({ backend: ctx.name, measure: 'served again after a store restart', ms: servedAfterMs, ttlMs: ctx.ttlMs });
      expect(
        servedAfterMs,
        `served again ${Math.round(servedAfterMs)} ms after the store was ready; last error: ${String(lastError)}`,
      ).toBeLessThanOrEqual(2_500);
    },
  );

  test(
    '13-slow-grant',
    'a leadership won on a grant or acquisition that took most of a ttl (the store frozen meanwhile) keeps leading for 3 x ttl once the store is healthy',
    async () => {
      const hooks = faults(ctx);
      const name = uniqueElection('slow-grant');
      // Connected before the freeze, as a long-running client is.
      const client = await ctx.client();
      const observer = await ctx.client();
      let frozen = true;
      await hooks.pauseStore();
      try {
        // The freeze outlasts the ttl by 300 ms; the campaign starts inside it, so that the
        // grant (or the acquisition) that wins comes back about 0.65 x ttl after it was sent.
        await sleep(ctx.ttlMs * 0.35 + 300);
        const campaign = client.election(name).campaign({ id: 'slow' });
        campaign.catch(() => undefined);
        await sleep(ctx.ttlMs * 0.65);
        await hooks.resumeStore();
        frozen = false;
        const leadership: Leadership = await within('the campaign after the freeze', ctx.ttlMs * 4 + 5_000, campaign);
        const electedAt = monotonicNow();
        const endedEarly = await settlesWithin(leadership.ended, ctx.ttlMs * 3);
        const lived = Math.round(monotonicNow() - electedAt);
        expect(endedEarly, `the leadership ended on its own after ${lived} ms, the store healthy`).toBe(false);
        expect(leadership.isLeader).toBe(true);
        expect(await observer.election(name).leader()).toMatchObject({ id: 'slow', token: leadership.token });
      } finally {
        if (frozen) await hooks.resumeStore();
      }
    },
  );

  test(
    '13-store-pause',
    'the store frozen past the ttl: the leader steps down by its deadline; thawed, the election has a leader again within ttl + 1.5 s, every time',
    async () => {
      const hooks = faults(ctx);
      const name = uniqueElection('store-pause');
      const clients = [await ctx.client(), await ctx.client()];
      let leadership: Leadership = await (clients[0] as Backend).election(name).campaign({ id: 'c0' });
      // Three rounds: a client-side backoff or circuit breaker that keeps a thawed store
      // waiting shows up in one round or another.
      for (let round = 0; round < 3; round++) {
        const old = leadership;
        const withdraw = new AbortController();
        const campaignOf = (i: number) =>
          (clients[i] as Backend).election(name).campaign({ id: `c${i}`, signal: withdraw.signal });
        // The waiter campaigns before the freeze, the old leader's client once it stepped down.
        const waiter = clients.findIndex((_, i) => `c${i}` !== old.id);
        const pending = [campaignOf(waiter)];
        await sleep(200);
        const pausedAt = monotonicNow();
        await hooks.pauseStore();
        let frozen = true;
        try {
          const reason = await within('the leader to step down', ctx.ttlMs + 1_000, old.ended);
          expect(['expired', 'connection-lost']).toContain(reason);
          expect(monotonicNow() - pausedAt).toBeLessThanOrEqual(ctx.ttlMs + 500);
          pending.push(campaignOf(clients.findIndex((_, i) => `c${i}` === old.id)));
          await sleep(Math.max(0, pausedAt + ctx.ttlMs * 1.5 - monotonicNow()));
          await hooks.resumeStore();
          frozen = false;
        } finally {
          if (frozen) await hooks.resumeStore();
        }
        const resumedAt = monotonicNow();
        for (const campaign of pending) campaign.catch(() => undefined);
        leadership = await within('a leader after the store thawed', ctx.ttlMs * 6 + 5_000, Promise.any(pending));
        const recoveryMs = monotonicNow() - resumedAt;
        withdraw.abort();
        // A campaign that won as the other was withdrawn hands its leadership back.
        await Promise.allSettled(
          pending.map(async (campaign) => {
            const other = await campaign;
            if (other !== leadership) await other.resign();
          }),
        );
        record({ backend: ctx.name, measure: 'leader again after a store freeze', ms: recoveryMs, ttlMs: ctx.ttlMs });
        expect(
          recoveryMs,
          `round ${round + 1}: ${Math.round(recoveryMs)} ms from thaw to a leader`,
        ).toBeLessThanOrEqual(ctx.ttlMs + 1_500);
        expect(leadership.token).toBeGreaterThan(old.token);
      }
    },
    240_000,
  );
}
