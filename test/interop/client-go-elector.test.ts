import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeBackend, serverForSuite, startKubernetes } from '../backends/index.js';
import { ClientGoElector, clientGoElectorBinary, type ElectorOptions } from './client-go-elector.js';

// client-go requires leaseDuration > renewDeadline > 1.2 x retryPeriod, and writes
// leaseDurationSeconds as whole seconds.
const LEASE_DURATION_MS = 3_000;
const RENEW_DEADLINE_MS = 2_000;
const RETRY_PERIOD_MS = 500;
// client-go retries with up to 1.2 x retryPeriod of jitter on top of each period.
const MAX_RETRY_MS = 2.2 * RETRY_PERIOD_MS;
// For a busy 2-core machine; the bound checked is about the lease, not the machine.
const SLACK_MS = 3_000;

const LEASES = '/apis/coordination.k8s.io/v1/namespaces';

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

describeBackend('kubernetes')("client-go's leaderelection on the test API server", () => {
  let binary: string;
  const electors: ClientGoElector[] = [];

  // Before the server starts, so that a missing binary fails at once.
  beforeAll(() => {
    binary = clientGoElectorBinary();
  });
  const running = serverForSuite(startKubernetes);

  afterEach(async () => {
    await Promise.all(electors.splice(0).map((elector) => elector.kill()));
  });

  const start = async (
    name: string,
    identity: string,
    timing: Partial<ElectorOptions> = {},
  ): Promise<ClientGoElector> => {
    const { elector, namespace } = running();
    const options: ElectorOptions = {
      // The least-privileged user: client-go needs nothing beyond the elector Role.
      kubeconfig: elector.kubeconfig,
      namespace,
      name,
      identity,
      leaseDurationMs: LEASE_DURATION_MS,
      renewDeadlineMs: RENEW_DEADLINE_MS,
      retryPeriodMs: RETRY_PERIOD_MS,
      ...timing,
    };
    const started = await ClientGoElector.start(binary, options);
    electors.push(started);
    return started;
  };

  const leaseSpec = async (name: string): Promise<LeaseSpec> => {
    const { status, text } = await running().asAdmin('GET', `${LEASES}/${running().namespace}/leases/${name}`);
    expect(status, text).toBe(200);
    return (JSON.parse(text) as { spec: LeaseSpec }).spec;
  };

  const firstLeader = async (candidates: readonly ClientGoElector[], timeoutMs: number): Promise<ClientGoElector> =>
    Promise.any(
      candidates.map(async (candidate) => {
        await candidate.waitFor('started-leading', (event) => event.event === 'started-leading', timeoutMs);
        return candidate;
      }),
    );

  const leads = (candidate: ClientGoElector): boolean =>
    candidate.events.some((event) => event.event === 'started-leading');

  it('two candidates: exactly one leads, and a SIGKILL of the leader hands over within about the lease duration', {
    timeout: 60_000,
  }, async () => {
    const candidates = [await start('interop-kill', 'go-a'), await start('interop-kill', 'go-b')];
    const leader = await firstLeader(candidates, 10_000);
    const follower = candidates.find((candidate) => candidate !== leader) as ClientGoElector;
    await follower.waitFor('new-leader', (e) => e.event === 'new-leader' && e.leader === leader.identity, 10_000);

    // Well past a lease duration, the follower still only follows: the leader keeps renewing.
    await sleep(LEASE_DURATION_MS + MAX_RETRY_MS);
    expect(leads(follower)).toBe(false);
    const held = await leaseSpec('interop-kill');
    expect(held).toMatchObject({ holderIdentity: leader.identity, leaseDurationSeconds: 3, leaseTransitions: 0 });
    // MicroTime: six fractional digits, UTC.
    expect(held.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    const killedAt = performance.now();
    await leader.kill();
    const takeover = await follower.waitFor('started-leading', (e) => e.event === 'started-leading', 30_000);
    const handoverMs = takeover.at - killedAt;
    // No earlier than the lease allows: the last renewal was at most a retry period before the kill.
    expect(handoverMs).toBeGreaterThanOrEqual(LEASE_DURATION_MS - RETRY_PERIOD_MS - 100);
    // The follower saw that renewal at most one jittered retry after it, and tries again at most
    // one jittered retry after the lease ran out.
    expect(handoverMs).toBeLessThanOrEqual(LEASE_DURATION_MS + 2 * MAX_RETRY_MS + SLACK_MS);

    const taken = await leaseSpec('interop-kill');
    expect(taken).toMatchObject({ holderIdentity: follower.identity, leaseTransitions: 1 });
    expect(taken.acquireTime).not.toBe(held.acquireTime);
  });

  it('SIGTERM: the leader releases the Lease (ReleaseOnCancel) and a waiting candidate takes over well within the lease duration', {
    timeout: 60_000,
  }, async () => {
    // A long lease, so that a takeover by expiry could not pass for one by release.
    const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000 };
    const candidates = [await start('interop-release', 'go-c', timing), await start('interop-release', 'go-d', timing)];
    const leader = await firstLeader(candidates, 10_000);
    const follower = candidates.find((candidate) => candidate !== leader) as ClientGoElector;
    await follower.waitFor('new-leader', (e) => e.event === 'new-leader' && e.leader === leader.identity, 10_000);

    const stoppedAt = performance.now();
    const exit = await leader.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(leader.events.map((event) => event.event)).toContain('stopped-leading');
    const takeover = await follower.waitFor('started-leading', (e) => e.event === 'started-leading', 30_000);
    // The released record has holderIdentity "" and leaseDurationSeconds 1, so the follower
    // takes it at its next try: about a retry period, not 15 s.
    expect(takeover.at - stoppedAt).toBeLessThan(MAX_RETRY_MS + SLACK_MS);
    expect(await leaseSpec('interop-release')).toMatchObject({
      holderIdentity: follower.identity,
      leaseTransitions: 1,
      leaseDurationSeconds: 15,
    });
  });
});
