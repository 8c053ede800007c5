import {
  metricAttributes as attr,
  type Backend,
  type BackendOptions,
  connect,
  type DisconnectPolicy,
  eventChannels,
  type Logger,
  metricNames,
} from '@baton/core';
import { monotonicNow, sleep } from '@baton/core/adapter';
import { expect } from 'vitest';
import { type SuiteContext, uniqueElection, within } from '../context.js';
import { EventRecorder, type RecordedEvent } from '../event-recorder.js';
import { FaultProxy } from '../fault-proxy.js';
import { type MetricPoint, MetricsRecorder, metricValue, pointsOf } from '../metrics-recorder.js';
import type { CandidateEvent, CandidateProcess } from '../process/candidate-process.js';
import type { CaseRegistry } from '../registry.js';
import { expectCleanTimeline, faults, launch, leaderAmong, withStage } from './process.js';

const RENEWALS: readonly string[] = [eventChannels.renewal, eventChannels.renewalFailed];

/** The channels of `events` in order, each run of renewals (confirmed or failed) folded into one 'renewals' entry. */
function lifecycle(events: readonly RecordedEvent[]): string[] {
  const folded: string[] = [];
  for (const { channel } of events) {
    const entry = RENEWALS.includes(channel) ? 'renewals' : channel;
    if (entry !== 'renewals' || folded.at(-1) !== 'renewals') folded.push(entry);
  }
  return folded;
}

/** One candidate's events: one campaign, one election, renewals, one end; each leadership event carries its token. */
function expectOneTerm(
  events: readonly RecordedEvent[],
  token: bigint,
  end: string,
  backend: string,
  renewals: 'some' | 'any',
): void {
  const expected = ['baton:campaign-started', 'baton:elected', 'renewals', end];
  const seen = lifecycle(events);
  if (renewals === 'any' && !seen.includes('renewals')) expected.splice(2, 1);
  expect(seen).toEqual(expected);
  for (const { channel, message } of events) {
    expect(message.backend).toBe(backend);
    if (channel !== eventChannels.campaignStarted) expect(message.token).toBe(token);
  }
  const times = events.map(({ message }) => message.at as number);
  expect(times).toEqual([...times].sort((a, b) => a - b));
}

/** A client of the store reached through `url` (a FaultProxy's), closed by the caller. */
function clientVia(ctx: SuiteContext, url: string, onDisconnect: DisconnectPolicy, more: BackendOptions = {}) {
  return connect(url, { ttlMs: ctx.ttlMs, connectTimeoutMs: 5_000, onDisconnect, ...more });
}

/** The metric points a candidate process printed in `event` (a `metrics` line). */
function pointsIn(event: CandidateEvent): MetricPoint[] {
  return JSON.parse(event.metrics ?? '[]') as MetricPoint[];
}

const secondsBetween = (from: CandidateEvent, to: CandidateEvent): number =>
  Number(BigInt(to.at) - BigInt(from.at)) / 1e9;

export function operationsCases({ ctx, test }: CaseRegistry): void {
  const slack = (): number => ctx.ttlMs * 2 + 5_000;

  test(
    '18-metrics',
    'OpenTelemetry metrics: the leader gauge flips on the right client, each transition is counted once, terms, campaigns and renewals are timed plausibly',
    async () => {
      const recorders = [new MetricsRecorder(), new MetricsRecorder()] as const;
      try {
        const [a, b] = [
          await ctx.client({ meterProvider: recorders[0].provider }),
          await ctx.client({ meterProvider: recorders[1].provider }),
        ];
        const election = uniqueElection('metrics');
        const first = await a.election(election).campaign({ id: 'a' });
        const electedA = monotonicNow();
        const waitStarted = monotonicNow();
        const waiting = b.election(election).campaign({ id: 'b' });
        waiting.catch(() => undefined);
        await sleep(ctx.ttlMs * 0.8);

        let pointsA = await recorders[0].collect();
        const ofA = { [attr.election]: election, [attr.candidate]: 'a' };
        expect(metricValue(pointsA, metricNames.leader, ofA)).toBe(1);
        expect(pointsOf(pointsA, metricNames.leader, ofA)[0]?.attributes[attr.backend]).toBe(a.kind);
        expect(metricValue(pointsA, metricNames.renewalDuration), 'renewals timed while leading').toBeGreaterThan(0);
        const slackPoint = pointsOf(pointsA, metricNames.renewalSlack)[0];
        expect(slackPoint?.min, 'a confirmed renewal leaves time before the deadline').toBeGreaterThan(0);
        expect(slackPoint?.max).toBeLessThanOrEqual(ctx.ttlMs / 1_000);

        const resignAt = monotonicNow();
        await first.resign();
        const resignedAt = monotonicNow();
        const second = await within('the waiter', ctx.ttlMs * 4 + 2_000, waiting);
        const electedB = monotonicNow();
        pointsA = await recorders[0].collect();
        expect(metricValue(pointsA, metricNames.leader, ofA)).toBe(0);
        expect(metricValue(pointsA, metricNames.transitions, { [attr.transition]: 'elected' })).toBe(1);
        expect(metricValue(pointsA, metricNames.transitions, { [attr.transition]: 'resigned' })).toBe(1);
        expect(metricValue(pointsA, metricNames.transitions, { [attr.transition]: 'lost' })).toBe(0);
        const termA = pointsOf(pointsA, metricNames.termDuration, { [attr.reason]: 'resigned' });
        expect(termA.map((point) => point.value)).toEqual([1]);
        expect(termA[0]?.sum).toBeGreaterThanOrEqual((resignAt - electedA) / 1_000 - 0.005);
        expect(termA[0]?.sum).toBeLessThanOrEqual((resignedAt - electedA) / 1_000 + 0.05);

        let pointsB = await recorders[1].collect();
        const ofB = { [attr.election]: election, [attr.candidate]: 'b' };
        expect(metricValue(pointsB, metricNames.leader, ofB)).toBe(1);
        const campaignB = pointsOf(pointsB, metricNames.campaignDuration, { [attr.outcome]: 'elected' });
        expect(campaignB.map((point) => point.value)).toEqual([1]);
        expect(campaignB[0]?.sum).toBeGreaterThanOrEqual((resignAt - waitStarted) / 1_000 - 0.005);
        expect(campaignB[0]?.sum).toBeLessThanOrEqual((electedB - waitStarted) / 1_000 + 0.005);

        await ctx.target.hooks.deleteLeaderKey(election);
        expect(await within('the deposal', ctx.ttlMs * 2 + 1_000, second.ended)).toBe('deposed');
        pointsB = await recorders[1].collect();
        expect(metricValue(pointsB, metricNames.leader, ofB)).toBe(0);
        expect(metricValue(pointsB, metricNames.transitions, { [attr.transition]: 'elected' })).toBe(1);
        expect(
          metricValue(pointsB, metricNames.transitions, { [attr.transition]: 'lost', [attr.reason]: 'deposed' }),
        ).toBe(1);
        expect(metricValue(pointsB, metricNames.termDuration, { [attr.reason]: 'deposed' })).toBe(1);
      } finally {
        await ctx.closeClients();
        await Promise.all(recorders.map((recorder) => recorder.shutdown()));
      }
    },
  );

  test(
    '18-metrics-failover',
    'OpenTelemetry metrics in replica processes across a SIGKILL failover and a resign: the leader gauge flips on the right replica, each transition is counted once, durations are plausible',
    async () => {
      await withStage(async (stage) => {
        const election = uniqueElection('metrics-failover');
        const capabilities = (await ctx.client()).capabilities;
        for (const id of ['p1', 'p2', 'p3']) {
          await launch(ctx, stage, election, id, ctx.target.url, 'abort', { metrics: true });
        }
        const gauge = (event: CandidateEvent, id: string): number =>
          metricValue(pointsIn(event), metricNames.leader, { [attr.election]: election, [attr.candidate]: id });
        const metricsAfter = (candidate: CandidateProcess, after: string, from = 0) =>
          candidate.waitFor(
            `${candidate.id}'s metrics after ${after}`,
            10_000,
            (e) => e.event === 'metrics' && e.after === after,
            from,
          );

        const killed = await leaderAmong(stage.candidates, slack());
        expect(gauge(await metricsAfter(killed, 'elected'), killed.id)).toBe(1);
        killed.signal('SIGKILL');
        const survivors = stage.candidates.filter((candidate) => candidate !== killed);
        const successor = await leaderAmong(survivors, capabilities.worstCaseFailoverMs + 5_000);
        const waiter = survivors.find((candidate) => candidate !== successor) as CandidateProcess;
        const elected = await successor.waitFor('election', 1_000, (e) => e.event === 'elected');
        const ready = await successor.waitFor('ready', 1_000, (e) => e.event === 'ready');
        const onElection = await metricsAfter(successor, 'elected');
        const points = pointsIn(onElection);
        expect(gauge(onElection, successor.id)).toBe(1);
        expect(metricValue(points, metricNames.transitions, { [attr.transition]: 'elected' })).toBe(1);
        expect(metricValue(points, metricNames.transitions, { [attr.transition]: 'lost' })).toBe(0);
        const campaign = pointsOf(points, metricNames.campaignDuration, { [attr.outcome]: 'elected' });
        expect(campaign.map((point) => point.value)).toEqual([1]);
        // The campaign began after the process said ready and ended when it said elected.
        expect(campaign[0]?.sum).toBeLessThanOrEqual(secondsBetween(ready, elected) + 0.05);
        expect(campaign[0]?.sum).toBeGreaterThan(secondsBetween(ready, elected) - 1);

        const asked = waiter.events.length;
        waiter.send('metrics');
        expect(gauge(await metricsAfter(waiter, 'asked', asked), waiter.id)).toBe(0);

        // 'exit' resigns and stops campaigning: on a store without FIFO the resigning process
        // could otherwise win again at once.
        const beforeResign = successor.events.length;
        successor.send('exit');
        const resigned = await successor.waitFor('the resign', 5_000, (e) => e.event === 'lost', beforeResign);
        expect(resigned.reason).toBe('resigned');
        const afterResign = pointsIn(await metricsAfter(successor, 'lost', beforeResign));
        expect(metricValue(afterResign, metricNames.leader, { [attr.candidate]: successor.id })).toBe(0);
        expect(metricValue(afterResign, metricNames.transitions, { [attr.transition]: 'resigned' })).toBe(1);
        const term = pointsOf(afterResign, metricNames.termDuration, { [attr.reason]: 'resigned' });
        expect(term.map((point) => point.value)).toEqual([1]);
        expect(Math.abs((term[0]?.sum ?? 0) - secondsBetween(elected, resigned))).toBeLessThan(0.25);
        expect(metricValue(afterResign, metricNames.renewalDuration)).toBeGreaterThanOrEqual(0);

        const next = await leaderAmong([waiter], ctx.ttlMs * 4 + 2_000);
        expect(gauge(await metricsAfter(next, 'elected'), next.id)).toBe(1);
        expectCleanTimeline(stage);
      });
    },
  );

  test(
    '18-events',
    'a diagnostics_channel subscriber sees each event exactly once, in order, across a deposal and a resign',
    async () => {
      const recorder = new EventRecorder();
      try {
        const election = uniqueElection('events');
        const [a, b] = [await ctx.client(), await ctx.client()];
        const first = await a.election(election).campaign({ id: 'a' });
        const waiting = b.election(election).campaign({ id: 'b' });
        waiting.catch(() => undefined);
        await sleep(ctx.ttlMs * 0.6);
        await ctx.target.hooks.deleteLeaderKey(election);
        expect(await within('the deposal', ctx.ttlMs * 2 + 1_000, first.ended)).toBe('deposed');
        const second = await within('the waiter', ctx.ttlMs * 4 + 2_000, waiting);
        await sleep(ctx.ttlMs * 0.6);
        await second.resign();
        await sleep(100);
        expectOneTerm(recorder.of(election, 'a'), first.token, eventChannels.lost, a.kind, 'some');
        expectOneTerm(recorder.of(election, 'b'), second.token, eventChannels.resigned, b.kind, 'some');
        expect(recorder.of(election, 'a').at(-1)?.message).toMatchObject({ reason: 'deposed' });
      } finally {
        recorder.close();
      }
    },
  );

  test(
    '18-events-blackhole',
    'a diagnostics_channel subscriber sees each event exactly once, in order, across a blackhole and a resign',
    async () => {
      const hooks = faults(ctx);
      const recorder = new EventRecorder();
      const proxy = await FaultProxy.start(hooks.storeHost, hooks.storePort);
      let cutOffClient: Backend | undefined;
      try {
        const election = uniqueElection('events-blackhole');
        cutOffClient = await clientVia(ctx, hooks.urlVia(proxy.host, proxy.port), 'abort');
        const direct = await ctx.client();
        const cutOff = await cutOffClient.election(election).campaign({ id: 'cut-off' });
        const waiting = direct.election(election).campaign({ id: 'direct' });
        waiting.catch(() => undefined);
        await sleep(ctx.ttlMs * 0.6);
        proxy.setMode('blackhole');
        const reason = await within('the step-down', ctx.ttlMs + 2_000, cutOff.ended);
        expect(['expired', 'connection-lost']).toContain(reason);
        const successor = await within('a successor', slack() * 2, waiting);
        proxy.setMode('pass');
        proxy.resetConnections();
        await sleep(ctx.ttlMs * 0.6);
        await successor.resign();
        await sleep(100);
        expectOneTerm(recorder.of(election, 'cut-off'), cutOff.token, eventChannels.lost, cutOffClient.kind, 'some');
        expect(recorder.of(election, 'cut-off').at(-1)?.message).toMatchObject({ reason });
        expectOneTerm(recorder.of(election, 'direct'), successor.token, eventChannels.resigned, direct.kind, 'any');
      } finally {
        recorder.close();
        proxy.setMode('pass');
        await cutOffClient?.close();
        await proxy.stop();
      }
    },
  );

  test(
    '18-health-blackhole',
    'under a blackhole, health() turns unhealthy before the leadership deadline passes, and healthy again once the store is back and a new term starts',
    async () => {
      const hooks = faults(ctx);
      const proxy = await FaultProxy.start(hooks.storeHost, hooks.storePort);
      let client: Backend | undefined;
      try {
        const election = uniqueElection('health');
        // Under 'tolerate-until-deadline' the leadership lives until its deadline whatever the
        // client learns of its connection, so there is a window for a probe to see.
        client = await clientVia(ctx, hooks.urlVia(proxy.host, proxy.port), 'tolerate-until-deadline');
        const leadership = await client.election(election).campaign({ id: 'probed' });
        await sleep(ctx.ttlMs / 2);
        expect(client.health()).toMatchObject({ healthy: true, status: 'healthy' });
        expect(leadership.health()).toMatchObject({ healthy: true, status: 'healthy', token: leadership.token });

        proxy.setMode('blackhole');
        let firstUnhealthy: { at: number; validUntil: number; status: string } | undefined;
        const sampled: string[] = [];
        const until = monotonicNow() + ctx.ttlMs * 2 + 2_000;
        while (leadership.isLeader && monotonicNow() < until) {
          const health = client.health();
          const at = monotonicNow();
          if (!health.healthy) {
            firstUnhealthy ??= { at, validUntil: leadership.validUntil, status: health.status };
            sampled.push(health.status);
          } else if (firstUnhealthy && leadership.isLeader) {
            sampled.push('healthy again while still cut off');
          }
          await sleep(10);
        }
        expect(firstUnhealthy, 'health never turned unhealthy before the leadership ended').toBeDefined();
        expect(firstUnhealthy?.at).toBeLessThan(firstUnhealthy?.validUntil ?? 0);
        expect(['renewal-overdue', 'connection-lost']).toContain(firstUnhealthy?.status);
        expect(sampled).not.toContain('healthy again while still cut off');
        await within('the step-down', ctx.ttlMs + 2_000, leadership.ended);
        expect(leadership.health()).toMatchObject({ healthy: false, status: 'ended' });

        proxy.setMode('pass');
        proxy.resetConnections();
        const next = await within('a new term', slack() * 2, client.election(election).campaign({ id: 'probed' }));
        const healthy = await within(
          'healthy again',
          ctx.ttlMs * 2,
          (async () => {
            for (;;) {
              const health = client.health();
              if (health.healthy && health.leaderships.some((l) => l.token === next.token)) return health;
              await sleep(20);
            }
          })(),
        );
        expect(healthy.leaderships).toEqual([expect.objectContaining({ healthy: true, token: next.token })]);
        await next.resign();
      } finally {
        proxy.setMode('pass');
        await client?.close();
        await proxy.stop();
      }
    },
  );

  test('18-no-credentials', 'a password in the URL appears in no log line, event or error message', async () => {
    const secret = `pw-${Math.random().toString(36).slice(2, 10)}`;
    const withSecret = (url: string): string =>
      url.replace(/^([a-z][a-z0-9+.-]*:\/\/)(?:[^@/?#]*@)?/i, `$1baton:${secret}@`);
    const withToken = (url: string): string => `${url}${url.includes('?') ? '&' : '?'}token=${secret}`;
    const written: string[] = [];
    const keep = (fields: object, message?: string): void => void written.push(describe({ message, ...fields }));
    const logger: Logger = { debug: keep, info: keep, warn: keep, error: keep };
    const recorder = new EventRecorder();
    try {
      for (const url of [
        withSecret(ctx.target.url),
        withSecret(ctx.target.unreachableUrl),
        withToken(ctx.target.url),
      ]) {
        let backend: Backend | undefined;
        try {
          backend = await connect(url, { ttlMs: ctx.ttlMs, connectTimeoutMs: 2_000, logger });
          const election = backend.election(uniqueElection('credentials'));
          const leadership = await within('a leadership', ctx.ttlMs * 4 + 2_000, election.campaign({ id: 'c' }));
          await leadership.proclaim('value');
          await election.leader();
          await leadership.resign();
        } catch (error) {
          written.push(describe(error));
        } finally {
          await backend?.close().catch((error: unknown) => written.push(describe(error)));
        }
      }
      written.push(...recorder.events.map((event) => describe(event.message)));
      expect(written.length).toBeGreaterThan(0);
      expect(written.filter((line) => line.includes(secret))).toEqual([]);
    } finally {
      recorder.close();
    }
  });
}

/** Everything an error or a log record could show: messages, causes, stacks, fields. */
function describe(value: unknown, depth = 0): string {
  if (depth > 4) return '';
  if (value instanceof Error) {
    const extra = Object.entries(value).map(([key, field]) => `${key}=${describe(field, depth + 1)}`);
    return [value.stack ?? value.message, ...extra, describe(value.cause, depth + 1)].join(' ');
  }
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([key, field]) => `${key}=${describe(field, depth + 1)}`)
      .join(' ');
  }
  return String(value);
}
