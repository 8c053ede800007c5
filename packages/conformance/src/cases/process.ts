import { sleep } from '@baton/core';
import { expect } from 'vitest';
import { type SuiteContext, uniqueElection } from '../context.js';
import { type FaultMode, FaultProxy } from '../fault-proxy.js';
import { record } from '../measurements.js';
import { CandidateProcess } from '../process/candidate-process.js';
import { FencedResource } from '../process/fenced-resource.js';
import { judgeTimeline, msUntilElected } from '../process/timeline.js';
import type { CaseRegistry } from '../registry.js';
import type { FaultHooks } from '../target.js';

interface Stage {
  readonly resource: FencedResource;
  readonly candidates: CandidateProcess[];
  readonly proxies: FaultProxy[];
}

async function withStage(body: (stage: Stage) => Promise<void>): Promise<void> {
  const stage: Stage = { resource: await FencedResource.start(), candidates: [], proxies: [] };
  try {
    await body(stage);
  } finally {
    await Promise.allSettled(stage.candidates.map((candidate) => candidate.stop()));
    await Promise.allSettled(stage.proxies.map((proxy) => proxy.stop()));
    await stage.resource.stop();
  }
}

function faults(ctx: SuiteContext): FaultHooks {
  const hooks = ctx.target.faults;
  if (!hooks) throw new Error('this target has no fault hooks; declare the process-level cases skipped');
  return hooks;
}

async function launch(ctx: SuiteContext, stage: Stage, election: string, id: string, url = ctx.target.url) {
  const candidate = await CandidateProcess.start({
    url,
    ttlMs: ctx.ttlMs,
    election,
    id,
    resourceUrl: stage.resource.url,
  });
  stage.candidates.push(candidate);
  return candidate;
}

async function leaderAmong(candidates: CandidateProcess[], timeoutMs: number): Promise<CandidateProcess> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const leader = candidates.find((candidate) => candidate.isLeaderNow());
    if (leader) return leader;
    await sleep(10);
  }
  throw new Error(`no leader among ${candidates.map((c) => c.id).join(', ')} within ${timeoutMs} ms`);
}

function expectCleanTimeline(stage: Stage): void {
  const verdict = judgeTimeline(stage.candidates, stage.resource.writes);
  expect(verdict.overlaps, 'two processes held leadership at one instant').toEqual([]);
  expect(verdict.tokensIncrease, 'tokens must increase from one leadership to the next').toBe(true);
  expect(verdict.acceptedStaleWrites, 'the fenced resource accepted a stale write').toEqual([]);
  expect(verdict.acceptedOutOfOrder).toEqual([]);
}

export function processCases({ ctx, test }: CaseRegistry): void {
  const slack = (): number => ctx.ttlMs * 2 + 5_000;

  /** A leader that reaches the store through a FaultProxy, and a waiter that reaches it directly. */
  const leaderBehindProxy = async (stage: Stage, name: string, id: string) => {
    const hooks = faults(ctx);
    const election = uniqueElection(name);
    const proxy = await FaultProxy.start(hooks.storeHost, hooks.storePort);
    stage.proxies.push(proxy);
    const leader = await launch(ctx, stage, election, id, hooks.urlVia(proxy.host, proxy.port));
    await leader.waitFor('the proxied candidate to lead', slack(), (e) => e.event === 'elected');
    const waiter = await launch(ctx, stage, election, 'direct');
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

  test(
    '13-store-restart',
    'the store restarts under a leader and a waiter: the election recovers without restarting the clients; tokens never go back',
    async () => {
      await withStage(async (stage) => {
        const hooks = faults(ctx);
        const election = uniqueElection('restart');
        for (const id of ['p1', 'p2']) await launch(ctx, stage, election, id);
        const leader = await leaderAmong(stage.candidates, slack());
        const before = await leader.waitFor('election', 1_000, (e) => e.event === 'elected');
        const marks = stage.candidates.map((c) => c.events.length);
        await hooks.restartStore();
        const recovered = await Promise.any(
          stage.candidates.map((candidate, i) =>
            candidate.waitFor('a leader after the restart', slack() * 3, (e) => e.event === 'elected', marks[i]),
          ),
        );
        expect(BigInt(recovered.token ?? 0)).toBeGreaterThan(BigInt(before.token ?? 0));
        expectCleanTimeline(stage);
      });
    },
    180_000,
  );
}
