import { EventRecorder, MetricsRecorder, metricValue, pointsOf } from '@baton/conformance';
import { metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClientScope,
  handOutTerm,
  LeadershipTerm,
  Lease,
  type Logger,
  memoryStore,
  monotonicNow,
  type RenewOutcome,
  silentLogger,
  sleep,
} from '../src/adapter.js';
import { metricAttributes as attr, type Backend, connect, type LeadershipHealth, metricNames } from '../src/index.js';

const TTL_MS = 600;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let storeCount = 0;
function storeUrl(): { url: string; name: string } {
  const name = `telemetry-${process.pid}-${storeCount++}`;
  return { url: `memory://${name}`, name };
}

async function client(url: string, options: Parameters<typeof connect>[1] = {}): Promise<Backend> {
  const backend = await connect(url, { ttlMs: TTL_MS, ...options });
  cleanups.push(() => backend.close());
  return backend;
}

function recorder(): MetricsRecorder {
  const made = new MetricsRecorder();
  cleanups.push(() => made.shutdown());
  return made;
}

function events(): EventRecorder {
  const made = new EventRecorder();
  cleanups.push(() => made.close());
  return made;
}

/** A logger that keeps every line, level and fields. */
function capturingLogger(): Logger & { lines: { level: string; message: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (fields: object, message?: string): void =>
      void lines.push({ level, message: message ?? '', fields: fields as Record<string, unknown> });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('metrics through a MeterProvider given to connect()', () => {
  it('flip the leader gauge, count each transition once, time terms and campaigns, and time renewals', async () => {
    const { url, name: storeName } = storeUrl();
    const [metricsA, metricsB] = [recorder(), recorder()];
    const a = await client(url, { meterProvider: metricsA.provider });
    const b = await client(url, { meterProvider: metricsB.provider });
    const election = 'jobs';
    const first = await a.election(election).campaign({ id: 'a' });
    const waitStarted = monotonicNow();
    const waiting = b.election(election).campaign({ id: 'b' });
    await sleep(TTL_MS * 0.8);
    let pointsA = await metricsA.collect();
    expect(metricValue(pointsA, metricNames.leader, { [attr.candidate]: 'a', [attr.election]: election })).toBe(1);
    expect(pointsOf(pointsA, metricNames.leader)[0]?.attributes).toEqual({
      [attr.election]: election,
      [attr.backend]: 'memory',
      [attr.candidate]: 'a',
    });
    expect(metricValue(pointsA, metricNames.renewalDuration)).toBeGreaterThanOrEqual(1);
    expect(pointsOf(pointsA, metricNames.renewalSlack)[0]?.min).toBeGreaterThan(0);

    const heldFor = monotonicNow() - waitStarted;
    await first.resign();
    const second = await waiting;
    const waited = monotonicNow() - waitStarted;
    pointsA = await metricsA.collect();
    expect(metricValue(pointsA, metricNames.leader, { [attr.candidate]: 'a' })).toBe(0);
    expect(metricValue(pointsA, metricNames.transitions, { [attr.transition]: 'elected' })).toBe(1);
    expect(metricValue(pointsA, metricNames.transitions, { [attr.transition]: 'resigned' })).toBe(1);
    const term = pointsOf(pointsA, metricNames.termDuration, { [attr.reason]: 'resigned' });
    expect(term).toHaveLength(1);
    expect(term[0]?.unit).toBe('s');
    expect(term[0]?.sum).toBeGreaterThanOrEqual(heldFor / 1_000 - 0.01);
    expect(term[0]?.sum).toBeLessThan(heldFor / 1_000 + 0.5);

    let pointsB = await metricsB.collect();
    expect(metricValue(pointsB, metricNames.leader, { [attr.candidate]: 'b' })).toBe(1);
    const campaign = pointsOf(pointsB, metricNames.campaignDuration, { [attr.outcome]: 'elected' });
    expect(campaign[0]?.value).toBe(1);
    expect(campaign[0]?.sum).toBeGreaterThanOrEqual(heldFor / 1_000 - 0.01);
    expect(campaign[0]?.sum).toBeLessThanOrEqual(waited / 1_000 + 0.01);

    memoryStore(storeName).deleteLeaderKey(election);
    expect(await second.ended).toBe('deposed');
    pointsB = await metricsB.collect();
    expect(metricValue(pointsB, metricNames.leader, { [attr.candidate]: 'b' })).toBe(0);
    expect(metricValue(pointsB, metricNames.transitions, { [attr.transition]: 'lost', [attr.reason]: 'deposed' })).toBe(
      1,
    );
    expect(metricValue(pointsB, metricNames.transitions, { [attr.transition]: 'elected' })).toBe(1);
  });

  it('use the global MeterProvider of @opentelemetry/api when connect() is given none', async () => {
    const { url } = storeUrl();
    const global = recorder();
    metrics.setGlobalMeterProvider(global.provider);
    cleanups.push(() => metrics.disable());
    const backend = await client(url);
    const leadership = await backend.election('global').campaign({ id: 'g' });
    await leadership.resign();
    const points = await global.collect();
    expect(metricValue(points, metricNames.leader, { [attr.election]: 'global', [attr.candidate]: 'g' })).toBe(0);
    expect(metricValue(points, metricNames.transitions, { [attr.transition]: 'elected' })).toBe(1);
    expect(metricValue(points, metricNames.transitions, { [attr.transition]: 'resigned' })).toBe(1);
  });

  it('count an observer whose watch broke and was re-subscribed', async () => {
    const { url } = storeUrl();
    const recorded = recorder();
    const backend = await client(url, { meterProvider: recorded.provider });
    const controller = new AbortController();
    const observing = (async () => {
      for await (const _ of backend.election('watched').observe({ signal: controller.signal })) {
        // The first state is enough.
      }
    })();
    await sleep(50);
    controller.abort();
    await observing;
    // The memory store's watch cannot break: nothing is counted.
    expect(metricValue(await recorded.collect(), metricNames.resubscriptions)).toBe(0);
  });

  it('refuse a meterProvider that is not one, at once', async () => {
    await expect(connect('memory://', { meterProvider: {} as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('meterProvider'),
    });
  });
});

describe('events on diagnostics_channel and logs', () => {
  it('publish each event once, in order, with the same fields the log lines carry', async () => {
    const { url, name: storeName } = storeUrl();
    const recorded = events();
    const logger = capturingLogger();
    const a = await client(url, { logger });
    const b = await client(url, { logger });
    const first = await a.election('ordered').campaign({ id: 'a' });
    const waiting = b.election('ordered').campaign({ id: 'b' });
    await sleep(TTL_MS * 0.6);
    memoryStore(storeName).deleteLeaderKey('ordered');
    const second = await waiting;
    await sleep(TTL_MS * 0.6);
    await second.resign();
    await first.resign();

    const channelsOf = (id: string) =>
      recorded
        .of('ordered', id)
        .map((event) => event.channel)
        .filter((channel, i, all) => channel !== 'baton:renewal' || all[i - 1] !== 'baton:renewal');
    expect(channelsOf('a')).toEqual(['baton:campaign-started', 'baton:elected', 'baton:renewal', 'baton:lost']);
    expect(channelsOf('b')).toEqual(['baton:campaign-started', 'baton:elected', 'baton:renewal', 'baton:resigned']);
    const lost = recorded.of('ordered', 'a').find((event) => event.channel === 'baton:lost')?.message;
    expect(lost).toMatchObject({
      election: 'ordered',
      id: 'a',
      backend: 'memory',
      token: first.token,
      reason: 'deposed',
    });
    const elected = recorded.of('ordered', 'b').find((event) => event.channel === 'baton:elected')?.message;
    expect(elected).toMatchObject({
      token: second.token,
      validUntil: expect.any(Number),
      campaignMs: expect.any(Number),
    });

    const line = (message: string, id: string) =>
      logger.lines.find((entry) => entry.message === message && entry.fields.id === id);
    expect(line('elected', 'b')?.level).toBe('info');
    expect(line('resigned', 'b')?.level).toBe('info');
    expect(line('leadership lost', 'a')?.level).toBe('warn');
    for (const [message, id, channel] of [
      ['elected', 'b', 'baton:elected'],
      ['resigned', 'b', 'baton:resigned'],
      ['leadership lost', 'a', 'baton:lost'],
    ] as const) {
      const event = recorded.of('ordered', id).find((entry) => entry.channel === channel)?.message ?? {};
      const fields = { ...line(message, id)?.fields };
      delete fields.err;
      expect(Object.keys(fields).sort()).toEqual(Object.keys(event).sort());
      expect(fields.token).toBe(String(event.token));
    }
  });

  it('publish a loss before the campaign its caller starts on hearing of it', async () => {
    const { url, name: storeName } = storeUrl();
    const recorded = events();
    const backend = await client(url);
    const first = await backend.election('again').campaign({ id: 'a' });
    memoryStore(storeName).deleteLeaderKey('again');
    await first.ended;
    const second = await backend.election('again').campaign({ id: 'a' });
    await second.resign();
    expect(recorded.of('again').map((event) => event.channel)).toEqual([
      'baton:campaign-started',
      'baton:elected',
      'baton:lost',
      'baton:campaign-started',
      'baton:elected',
      'baton:resigned',
    ]);
  });

  it('report nothing for a leadership won as its campaign was withdrawn', async () => {
    const { url } = storeUrl();
    const recorded = events();
    const logger = capturingLogger();
    const backend = await client(url, { logger });
    const scope = new ClientScope(() => 'memory');
    const term = new LeadershipTerm({
      election: 'withdrawn',
      id: 'w',
      token: 1n,
      logger,
      requestTimeoutMs: 100,
      validUntil: () => Number.POSITIVE_INFINITY,
      actions: { proclaim: async () => {}, release: async () => {} },
    });
    await expect(handOutTerm(term, { scope, stop: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await term.ended).toBe('resigned');
    expect(recorded.of('withdrawn')).toEqual([]);
    expect(logger.lines.filter((entry) => entry.level !== 'debug')).toEqual([]);
    expect(backend.health().healthy).toBe(true);
  });
});

/** A leadership on a lease whose renewals hang once `stall()` is called, handed out as adapters do. */
async function stallableLeadership(ttlMs: number) {
  let stalled = false;
  const scope = new ClientScope(() => 'test');
  const lease = new Lease({
    ttlMs,
    grantSentAt: monotonicNow(),
    onDisconnect: 'abort',
    logger: silentLogger,
    label: 'stallable',
    renew: (signal) =>
      stalled
        ? new Promise<RenewOutcome>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
        : Promise.resolve({ kind: 'renewed' }),
  });
  const term = new LeadershipTerm({
    election: 'probed',
    id: 'p',
    token: 5n,
    logger: silentLogger,
    requestTimeoutMs: 100,
    validUntil: () => lease.deadline,
    actions: { proclaim: async () => {}, release: async () => {} },
  });
  await handOutTerm(term, { scope, stop: new AbortController().signal, lease });
  scope.telemetry.elected(term, monotonicNow());
  cleanups.push(() => lease.stop());
  const stall = (): void => {
    stalled = true;
  };
  return { scope, lease, term, stall };
}

describe('health', () => {
  it('turns unhealthy when a renewal is overdue, before the deadline, with the age and time left', async () => {
    const { scope, term, stall } = await stallableLeadership(900);
    await sleep(450);
    expect(scope.health()).toMatchObject({ healthy: true, status: 'healthy', backend: 'test' });
    expect(term.health().lastRenewalAgeMs).toBeLessThan(350);
    stall();
    let first: { health: LeadershipHealth; validUntil: number; at: number } | undefined;
    while (term.isLeader) {
      const health = term.health();
      if (!health.healthy && !first) first = { health, validUntil: term.validUntil, at: monotonicNow() };
      if (first)
        expect(scope.health()).toMatchObject({
          healthy: !term.isLeader,
          status: term.isLeader ? 'renewal-overdue' : 'healthy',
        });
      await sleep(5);
    }
    expect(first?.health.status).toBe('renewal-overdue');
    expect(first?.at).toBeLessThan(first?.validUntil ?? 0);
    expect(first?.health.remainingMs).toBeGreaterThan(0);
    // Two renewal periods (300 ms each by default) without a confirmation.
    expect(first?.health.lastRenewalAgeMs).toBeGreaterThan(600);
    expect(first?.health.reason).toMatch(/no renewal confirmed for \d+ ms/);
    // The renewal cut short at the deadline or the deadline itself, whichever fired first.
    expect(term.health()).toMatchObject({ healthy: false, status: 'ended' });
    expect(['expired', 'connection-lost']).toContain(term.health().ended);
    // Nothing leads any more: the client is healthy, as a follower is.
    expect(scope.health()).toMatchObject({ healthy: true, leaderships: [] });
  });

  it('takes a tolerance, and refuses a malformed one at once', async () => {
    const { term } = await stallableLeadership(900);
    await sleep(50);
    expect(term.health({ toleranceMs: 0 }).healthy).toBe(true);
    expect(() => term.health({ toleranceMs: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => term.health({ tolerance: 5 } as never)).toThrow(/did you mean "toleranceMs"/);
  });

  it('says closed once the backend is closed', async () => {
    const { url } = storeUrl();
    const backend = await client(url);
    const leadership = await backend.election('closing').campaign();
    expect(backend.health()).toMatchObject({ healthy: true, leaderships: [{ election: 'closing', healthy: true }] });
    await backend.close();
    expect(backend.health()).toMatchObject({ healthy: false, status: 'closed', leaderships: [] });
    expect(leadership.health()).toMatchObject({ status: 'ended', ended: 'closed' });
  });
});
