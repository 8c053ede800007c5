import { afterEach, describe, expect, it, vi } from 'vitest';
import { Lease, type LeaseOptions, monotonicNow, type RenewOutcome, silentLogger } from '../src/adapter.js';
import type { EndReason } from '../src/index.js';

const leases: Lease[] = [];
afterEach(() => {
  for (const lease of leases.splice(0)) lease.stop();
  vi.useRealTimers();
});

function lease(overrides: Partial<LeaseOptions> = {}): Lease {
  const created = new Lease({
    ttlMs: 1_000,
    grantSentAt: monotonicNow(),
    safetyMarginMs: 100,
    onDisconnect: 'abort',
    logger: silentLogger,
    label: 'test',
    ...overrides,
  });
  leases.push(created);
  return created;
}

function lossOf(subject: Lease): Promise<EndReason> {
  return new Promise((resolve) => subject.onLost(resolve));
}

describe('Lease', () => {
  it('measures the deadline from the send time of the grant, minus the safety margin', () => {
    const sentAt = monotonicNow() - 300;
    const subject = lease({ grantSentAt: sentAt });
    expect(subject.deadline).toBeCloseTo(sentAt + 1_000 - 100, 5);
    expect(subject.isValid).toBe(true);
  });

  it("expires at its local deadline when no renewal is confirmed ('expired')", async () => {
    const subject = lease({ ttlMs: 200, safetyMarginMs: 20 });
    const started = monotonicNow();
    expect(await lossOf(subject)).toBe('expired');
    const elapsed = monotonicNow() - started;
    expect(elapsed).toBeGreaterThanOrEqual(170);
    expect(elapsed).toBeLessThan(1_000);
    expect(subject.isValid).toBe(false);
  });

  it('extends the deadline to send time + ttl on each confirmed renewal', async () => {
    let renewals = 0;
    const subject = lease({
      ttlMs: 300,
      safetyMarginMs: 30,
      renew: async () => {
        renewals++;
        return { kind: 'renewed' };
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(subject.isValid).toBe(true);
    expect(renewals).toBeGreaterThanOrEqual(3);
  });

  it('never lets a late success revive a lease whose deadline passed', async () => {
    let release: (outcome: RenewOutcome) => void = () => {};
    const subject = lease({
      ttlMs: 150,
      safetyMarginMs: 10,
      renewEveryMs: 50,
      renew: (signal) =>
        new Promise<RenewOutcome>((resolve) => {
          release = resolve;
          // The store answers only after the deadline; the abort at the deadline is ignored on purpose.
          void signal;
        }),
    });
    const reason = await lossOf(subject);
    release({ kind: 'renewed' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reason).toBe('expired');
    expect(subject.isValid).toBe(false);
    subject.confirm(monotonicNow());
    expect(subject.isValid).toBe(false);
  });

  it("under onDisconnect 'abort', a failed renewal ends the lease at once ('connection-lost')", async () => {
    const subject = lease({
      renewEveryMs: 20,
      renew: async () => {
        throw new Error('ECONNREFUSED');
      },
    });
    const started = monotonicNow();
    expect(await lossOf(subject)).toBe('connection-lost');
    expect(monotonicNow() - started).toBeLessThan(500);
  });

  it("under 'tolerate-until-deadline', a blip is ridden out and a lasting outage ends at the deadline", async () => {
    let failing = true;
    const blip = lease({
      ttlMs: 600,
      safetyMarginMs: 50,
      renewEveryMs: 100,
      onDisconnect: 'tolerate-until-deadline',
      renew: async () => {
        if (failing) throw new Error('ETIMEDOUT');
        return { kind: 'renewed' };
      },
    });
    setTimeout(() => {
      failing = false;
    }, 250);
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(blip.isValid).toBe(true);

    const outage = lease({
      ttlMs: 300,
      safetyMarginMs: 30,
      renewEveryMs: 50,
      onDisconnect: 'tolerate-until-deadline',
      renew: async () => {
        throw new Error('ETIMEDOUT');
      },
    });
    const started = monotonicNow();
    expect(await lossOf(outage)).toBe('connection-lost');
    expect(monotonicNow() - started).toBeGreaterThanOrEqual(250);
  });

  it('reports a loss exactly once, to every listener, even when told twice', () => {
    const subject = lease();
    const heard: EndReason[] = [];
    subject.onLost((reason) => heard.push(reason));
    subject.onLost((reason) => heard.push(reason));
    subject.lose('deposed');
    subject.lose('expired');
    subject.connectionLost(new Error('late'));
    expect(heard).toEqual(['deposed', 'deposed']);
    const late: EndReason[] = [];
    subject.onLost((reason) => late.push(reason));
    expect(late).toEqual(['deposed']);
  });

  it('stops renewing when the store says the lease is gone', async () => {
    let renewals = 0;
    const subject = lease({
      renewEveryMs: 20,
      renew: async () => {
        renewals++;
        return { kind: 'lost', reason: 'expired' };
      },
    });
    expect(await lossOf(subject)).toBe('expired');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(renewals).toBe(1);
  });

  it('times the first renewal from the send time of a slow grant: an overdue one goes out at once', async () => {
    const sentTimes: number[] = [];
    // The grant took 700 ms of a 1 s ttl: the deadline is 200 ms away, a renewal was due 367 ms ago.
    const subject = lease({
      grantSentAt: monotonicNow() - 700,
      renew: async () => {
        sentTimes.push(monotonicNow());
        return { kind: 'renewed' };
      },
    });
    const created = monotonicNow();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sentTimes.length).toBeGreaterThanOrEqual(1);
    expect((sentTimes[0] as number) - created).toBeLessThan(50);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(subject.isValid).toBe(true);
  });

  it('renews first when asked for more time than the lease has left', async () => {
    let renewals = 0;
    const subject = lease({
      grantSentAt: monotonicNow() - 600,
      renewEveryMs: 10_000,
      renew: async () => {
        renewals++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { kind: 'renewed' };
      },
    });
    expect(subject.remainingMs).toBeLessThan(500);
    expect(await subject.ensureRemaining(500)).toBe(true);
    expect(renewals).toBe(1);
    expect(subject.remainingMs).toBeGreaterThan(800);
    // Enough left: no round trip.
    expect(await subject.ensureRemaining(500)).toBe(true);
    expect(renewals).toBe(1);
  });

  it('joins a renewal already in flight instead of sending a second one', async () => {
    let renewals = 0;
    const subject = lease({
      renewEveryMs: 10_000,
      renew: async () => {
        renewals++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { kind: 'renewed' };
      },
    });
    const [a, b] = await Promise.all([subject.renewNow(), subject.renewNow()]);
    expect([a, b]).toEqual([true, true]);
    expect(renewals).toBe(1);
  });

  it('does not vouch for a lease whose renewal failed, even before its deadline', async () => {
    const subject = lease({
      onDisconnect: 'tolerate-until-deadline',
      grantSentAt: monotonicNow() - 700,
      renewEveryMs: 10_000,
      renew: async () => {
        throw new Error('connection refused');
      },
    });
    expect(await subject.ensureRemaining(500)).toBe(false);
    expect(subject.lost).toBeUndefined();
  });

  it('reports each renewal round trip to its listeners: latency and slack when confirmed, the error when not', async () => {
    let fail = false;
    const subject = lease({
      ttlMs: 600,
      safetyMarginMs: 60,
      onDisconnect: 'tolerate-until-deadline',
      renew: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (fail) throw new Error('connection reset');
        return { kind: 'renewed' } satisfies RenewOutcome;
      },
    });
    const reports: { ok: boolean; latencyMs: number; slackMs?: number; error?: unknown }[] = [];
    const unsubscribe = subject.onRenewal((report) => reports.push(report));
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(reports[0]).toMatchObject({ ok: true });
    expect(reports[0]?.latencyMs).toBeGreaterThanOrEqual(19);
    // Renewed at ttl/3 after the grant: about 540 - 200 - 20 ms were left on the deadline.
    expect(reports[0]?.slackMs).toBeGreaterThan(0);
    expect(reports[0]?.slackMs).toBeLessThan(540 - 200);
    expect(subject.lastConfirmedAt).toBeGreaterThan(monotonicNow() - 100);
    fail = true;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reports.at(-1)).toMatchObject({
      ok: false,
      error: expect.objectContaining({ message: 'connection reset' }),
    });
    expect(subject.isDisconnected).toBe(true);
    const heard = reports.length;
    unsubscribe();
    subject.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reports).toHaveLength(heard);
  });
});
