import { CandidateProcess, FencedResource, type HeldSpan, heldSpans } from '@baton/conformance';
import { connect } from '@baton/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import '../src/index.js';
import { describeBackend, serverForSuite, startKubernetes } from '../../../test/backends/index.js';
import { ClientGoElector, clientGoElectorBinary, type ElectorEvent } from '../../../test/interop/client-go-elector.js';
import { leaseNameOf } from '../src/lease-name.js';

// Both sides write leaseDurationSeconds 3. client-go needs lease > renew deadline > 1.2 x retry.
const TTL_MS = 3_000;
const RENEW_DEADLINE_MS = 2_000;
const RETRY_PERIOD_MS = 500;
/** client-go waits a retry period plus up to 1.2 of one more (JitterUntil) between tries. */
const MAX_RETRY_MS = 2.2 * RETRY_PERIOD_MS;
/** For a busy 2-core machine; the bounds checked are about the protocol, not the machine. */
const SLACK_MS = 2_000;

/** Nanoseconds on the machine's monotonic clock, which the Baton candidate processes stamp their events with. */
const nowNs = (): bigint => process.hrtime.bigint();

/**
 * The Go program stamps its events with the wall clock; the processes share the machine's, so
 * a fixed offset measured here moves them onto the monotonic clock.
 */
const wallToMonoNs = nowNs() - BigInt(Date.now()) * 1_000_000n;
function monoOf(event: ElectorEvent): bigint {
  const wall = Date.parse(event.time);
  const fraction = /\.(\d+)Z$/.exec(event.time)?.[1] ?? '';
  const subMs = BigInt(fraction.slice(3, 9).padEnd(6, '0'));
  return BigInt(wall) * 1_000_000n + subMs + wallToMonoNs;
}

interface GoCandidate {
  readonly elector: ClientGoElector;
  /** When the test sent SIGTERM or SIGKILL: the Go process's leadership ends there at the latest. */
  endedAt?: bigint;
}

/**
 * When each client-go process led: from its started-leading line to its stopped-leading line,
 * or to the signal that stopped it, whichever came first. With ReleaseOnCancel, client-go
 * prints stopped-leading only after it released the Lease, but a program must stop acting
 * when its context is cancelled, i.e. at the signal.
 */
function goSpans(candidates: readonly GoCandidate[]): HeldSpan[] {
  const spans: HeldSpan[] = [];
  for (const { elector, endedAt } of candidates) {
    let from: bigint | undefined;
    for (const event of elector.events) {
      if (event.event === 'started-leading') from = monoOf(event);
      if (event.event === 'stopped-leading' && from !== undefined) {
        const stopped = monoOf(event);
        spans.push({ id: elector.identity, token: 0n, from, to: endedAt && endedAt < stopped ? endedAt : stopped });
        from = undefined;
      }
    }
    if (from !== undefined) spans.push({ id: elector.identity, token: 0n, from, to: endedAt ?? nowNs() });
  }
  return spans;
}

function overlaps(spans: readonly HeldSpan[]): [HeldSpan, HeldSpan][] {
  const sorted = [...spans].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const found: [HeldSpan, HeldSpan][] = [];
  for (let i = 1; i < sorted.length; i++) {
    const [previous, current] = [sorted[i - 1] as HeldSpan, sorted[i] as HeldSpan];
    if (previous.to > current.from) found.push([previous, current]);
  }
  return found;
}

const ms = (ns: bigint): number => Number(ns) / 1e6;

describeBackend('kubernetes')("Baton and client-go's leaderelection on one Lease", () => {
  let binary: string;
  beforeAll(() => {
    binary = clientGoElectorBinary();
  });
  const running = serverForSuite(startKubernetes);
  const go: GoCandidate[] = [];
  const baton: CandidateProcess[] = [];
  let resource: FencedResource | undefined;

  afterEach(async () => {
    await Promise.allSettled(go.splice(0).map(({ elector }) => elector.kill()));
    await Promise.allSettled(baton.splice(0).map((candidate) => candidate.stop()));
    await resource?.stop();
    resource = undefined;
  });

  const startGo = async (election: string, identity: string): Promise<GoCandidate> => {
    const server = running();
    const elector = await ClientGoElector.start(binary, {
      kubeconfig: server.elector.kubeconfig,
      namespace: server.namespace,
      name: leaseNameOf(election),
      identity,
      leaseDurationMs: TTL_MS,
      renewDeadlineMs: RENEW_DEADLINE_MS,
      retryPeriodMs: RETRY_PERIOD_MS,
    });
    const candidate: GoCandidate = { elector };
    go.push(candidate);
    return candidate;
  };

  const startBaton = async (election: string, id: string): Promise<CandidateProcess> => {
    resource ??= await FencedResource.start();
    const candidate = await CandidateProcess.start({
      url: running().kubeconfigUrl(running().elector),
      ttlMs: TTL_MS,
      election,
      id,
      resourceUrl: resource.url,
    });
    baton.push(candidate);
    return candidate;
  };

  const observer = async () => connect(running().kubeconfigUrl(running().elector), { ttlMs: TTL_MS });

  const goLeads = (candidate: GoCandidate, timeoutMs: number) =>
    candidate.elector.waitFor('started-leading', (e) => e.event === 'started-leading', timeoutMs);
  const goSees = (candidate: GoCandidate, leader: string, timeoutMs: number) =>
    candidate.elector.waitFor(
      `new-leader ${leader}`,
      (e) => e.event === 'new-leader' && e.leader === leader,
      timeoutMs,
    );

  const expectNoOverlap = (): void => {
    const spans = [...heldSpans(baton), ...goSpans(go)];
    expect(
      overlaps(spans),
      JSON.stringify(spans, (_, v) => (typeof v === 'bigint' ? ms(v) : v)),
    ).toEqual([]);
  };

  describe('handover both ways', () => {
    it('a client-go leader releasing on SIGTERM hands over to a waiting Baton candidate at once, and a resigning Baton leader to a waiting client-go candidate within its retry period', {
      timeout: 90_000,
    }, async () => {
      // Already a valid Lease name, so the Go side is configured with the election's own name.
      const election = 'interop-handover';
      expect(leaseNameOf(election)).toBe(election);
      const first = await startGo(election, 'go-first');
      await goLeads(first, 10_000);
      const waiter = await startBaton(election, 'baton');
      const second = await startGo(election, 'go-second');
      await goSees(second, 'go-first', 10_000);

      // Baton sees the client-go holder: its id, and no Baton token.
      const client = await observer();
      try {
        expect(await client.election(election).leader()).toEqual({ id: 'go-first', token: 0n });
      } finally {
        await client.close();
      }

      // SIGTERM: client-go cancels its context and releases the Lease (holder "", 1 s).
      first.endedAt = nowNs();
      await first.elector.stop();
      const elected = await waiter.waitFor('Baton after the release', 10_000, (e) => e.event === 'elected');
      const releaseHandoverMs = ms(BigInt(elected.at) - first.endedAt);
      // About a round trip and the watch: not a lease duration.
      expect(releaseHandoverMs).toBeLessThan(1_000 + SLACK_MS / 2);
      // client-go sees the Baton candidate as its leader.
      await goSees(second, 'baton', MAX_RETRY_MS + SLACK_MS);

      // Baton resigns: the holder is cleared, and client-go takes it at its next try.
      const resignedAt = nowNs();
      waiter.send('exit');
      await waiter.waitFor('the Baton leader to resign', 10_000, (e) => e.event === 'lost');
      const taken = await goLeads(second, MAX_RETRY_MS + SLACK_MS);
      const resignHandoverMs = ms(monoOf(taken) - resignedAt);
      expect(resignHandoverMs).toBeLessThan(MAX_RETRY_MS + SLACK_MS);
      console.log(
        `[interop] client-go release -> Baton: ${releaseHandoverMs.toFixed(0)} ms; Baton resign -> client-go: ${resignHandoverMs.toFixed(0)} ms`,
      );
      expectNoOverlap();
    });
  });

  describe('SIGKILL of either', () => {
    it('a SIGKILLed Baton leader is replaced by client-go once the Lease runs out, and a SIGKILLed client-go leader by Baton, never overlapping', {
      timeout: 90_000,
    }, async () => {
      const election = 'interop/crash';
      const lease = leaseNameOf(election);
      const first = await startBaton(election, 'baton-first');
      const held = await first.waitFor('the Baton candidate to lead', 10_000, (e) => e.event === 'elected');
      const goWaiter = await startGo(election, 'go');
      await goSees(goWaiter, 'baton-first', 10_000);

      first.signal('SIGKILL');
      const killedAt = first.signals.at(-1)?.at ?? nowNs();
      const goTook = await goLeads(goWaiter, TTL_MS + 2 * MAX_RETRY_MS + SLACK_MS);
      const goFailoverMs = ms(monoOf(goTook) - killedAt);
      // Not before the Lease ran out: the last renewal was at most ttl/3 before the kill.
      expect(goFailoverMs).toBeGreaterThanOrEqual((TTL_MS * 2) / 3 - 100);

      const second = await startBaton(election, 'baton-second');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const client = await observer();
      try {
        expect(await client.election(election).leader()).toEqual({ id: 'go', token: 0n });
      } finally {
        await client.close();
      }
      const goHeldFrom = nowNs();
      goWaiter.endedAt = goHeldFrom;
      await goWaiter.elector.kill();
      const batonTook = await second.waitFor(
        'Baton after client-go died',
        TTL_MS + SLACK_MS * 2,
        (e) => e.event === 'elected',
      );
      const batonFailoverMs = ms(BigInt(batonTook.at) - goHeldFrom);
      // client-go renewed at most a jittered retry period before the kill.
      expect(batonFailoverMs).toBeGreaterThanOrEqual(TTL_MS - MAX_RETRY_MS - 100);
      expect(batonFailoverMs).toBeLessThanOrEqual(TTL_MS + SLACK_MS);
      // Tokens still increase across the client-go holder in between.
      expect(BigInt(batonTook.token ?? 0)).toBeGreaterThan(BigInt(held.token ?? 0));
      console.log(
        `[interop] Lease ${lease}: Baton killed -> client-go: ${goFailoverMs.toFixed(0)} ms; client-go killed -> Baton: ${batonFailoverMs.toFixed(0)} ms (lease ${TTL_MS} ms)`,
      );
      expectNoOverlap();
    });
  });
});
