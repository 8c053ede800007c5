import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeadershipLog, within } from '@baton/conformance';
import { type Backend, connect, type Leadership, runAsLeader } from '@baton/core';
import { resolveBackendOptions, sleep } from '@baton/core/adapter';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { describeBackend, serverForSuite, startKubernetes } from '../../../test/backends/index.js';
import { openKubernetesBackend } from '../src/backend.js';
import { connectKubernetes } from '../src/index.js';
import { leaseNameOf } from '../src/lease-name.js';
import { ELECTION_ANNOTATION, LEADER_ANNOTATION } from '../src/lease-record.js';
import { parseKubernetesUrl } from '../src/url.js';

const TTL_MS = 3_000;
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

interface LeaseJson {
  metadata: { name: string; resourceVersion: string; annotations?: Record<string, string> };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

describeBackend('kubernetes')('@baton/kubernetes on a real API server', () => {
  const running = serverForSuite(startKubernetes);
  const clients: Backend[] = [];
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  });

  /** A client as the elector user: only the Role the README documents. */
  const client = async (ttlMs = TTL_MS): Promise<Backend> => {
    const made = await connect(running().kubeconfigUrl(running().elector), { ttlMs });
    clients.push(made);
    return made;
  };
  const leasePath = (election: string) =>
    `/apis/coordination.k8s.io/v1/namespaces/${running().namespace}/leases/${leaseNameOf(election)}`;
  const readLease = async (election: string): Promise<LeaseJson> => {
    const { status, text } = await running().asAdmin('GET', leasePath(election));
    expect(status, text).toBe(200);
    return JSON.parse(text) as LeaseJson;
  };

  describe('the Lease, as client-go writes it', () => {
    it('a leader holds it with its id, the ttl in whole seconds and MicroTimes; its token and value are in an annotation tied to it', async () => {
      const leader = await (await client()).election('fields').campaign({ id: 'writer', value: 'v1' });
      const held = await readLease('fields');
      expect(held.spec).toMatchObject({ holderIdentity: 'writer', leaseDurationSeconds: 3, leaseTransitions: 1 });
      expect(held.spec.acquireTime).toMatch(MICRO_TIME);
      expect(held.spec.renewTime).toBe(held.spec.acquireTime);
      expect(JSON.parse(held.metadata.annotations?.[LEADER_ANNOTATION] ?? '{}')).toEqual({
        holder: 'writer',
        token: String(leader.token),
        value: 'v1',
      });
      expect(held.metadata.annotations?.[ELECTION_ANNOTATION]).toBe('fields');

      // A renewal is a new renewTime, and only that.
      await sleep(TTL_MS / 3 + 500);
      const renewed = await readLease('fields');
      expect(renewed.spec.renewTime).not.toBe(held.spec.renewTime);
      expect(renewed.spec).toMatchObject({ acquireTime: held.spec.acquireTime, leaseTransitions: 1 });

      await leader.proclaim('v2');
      const proclaimed = await readLease('fields');
      expect(JSON.parse(proclaimed.metadata.annotations?.[LEADER_ANNOTATION] ?? '{}')).toMatchObject({
        token: String(leader.token),
        value: 'v2',
      });

      // Released as client-go releases: no holder, 1 s, transitions kept; the token goes with the holder.
      await leader.resign();
      const released = await readLease('fields');
      expect(released.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 1 });
      expect(released.spec.renewTime).toMatch(MICRO_TIME);
      expect(released.metadata.annotations?.[LEADER_ANNOTATION]).toBeUndefined();
      expect(released.metadata.annotations?.[ELECTION_ANNOTATION]).toBe('fields');
    });

    it('the token is the resourceVersion the acquiring update replaced, and each new holder counts one more transition', async () => {
      const backend = await client();
      const first = await backend.election('token-source').campaign({ id: 'first' });
      await first.resign();
      const released = await readLease('token-source');
      const second = await backend.election('token-source').campaign({ id: 'second' });
      expect(second.token).toBe(BigInt(released.metadata.resourceVersion));
      expect(second.token).toBeGreaterThan(first.token);
      expect((await readLease('token-source')).spec.leaseTransitions).toBe(2);
    });

    it('an election name that is not a Lease name maps to a readable one, with the name in an annotation', async () => {
      const name = 'Billing/Charges_v2';
      const leaseName = leaseNameOf(name);
      expect(leaseName).toMatch(/^billing-charges-v2-[0-9a-f]{16}$/);
      await (await client()).election(name).campaign({ id: 'mapped' });
      const lease = await readLease(name);
      expect(lease.metadata.name).toBe(leaseName);
      expect(lease.metadata.annotations?.[ELECTION_ANNOTATION]).toBe(name);
    });
  });

  describe('deletion', () => {
    it('a waiter that saw the holder leaves a deleted Lease alone until that holder ran out; the next token is still greater', async () => {
      const [a, b] = [await client(), await client()];
      const log = new LeadershipLog();
      const leader = await a.election('deleted').campaign({ id: 'a' });
      log.record('a', leader);
      const waiting = b.election('deleted').campaign({ id: 'b' });
      await sleep(300);
      const { status } = await running().asAdmin('DELETE', leasePath('deleted'));
      expect(status).toBe(200);
      // The leader learns at its next renewal.
      expect(await within('the leader to learn', TTL_MS + 1_000, leader.ended)).toBe('deposed');
      const next = await within('the waiter', TTL_MS * 2 + 2_000, waiting);
      log.record('b', next);
      expect(log.overlaps()).toEqual([]);
      // Recreated, and still a greater token: resourceVersions are etcd's cluster-wide revision.
      expect(next.token).toBeGreaterThan(leader.token);
    });
  });

  describe('faults below the API server', () => {
    it('etcd restarted, then frozen past the ttl, under a leader and a waiter: never two leaders, tokens increase, a leader again each time', {
      timeout: 180_000,
    }, async () => {
      const log = new LeadershipLog();
      const stop = new AbortController();
      const backends = [await client(), await client()];
      const candidates = ['p1', 'p2'].map((id, i) =>
        runAsLeader(
          (backends[i] as Backend).election('etcd-faults'),
          async (leadership: Leadership) => {
            log.record(id, leadership);
            await new Promise((resolve) => leadership.signal.addEventListener('abort', resolve, { once: true }));
          },
          { id, signal: stop.signal },
        ),
      );
      /** Resolves once some leadership that began after `since` (or is still open from before) has lasted past a ttl. */
      const leaderLasting = (what: string) =>
        within(
          what,
          TTL_MS * 6 + 30_000,
          (async () => {
            for (;;) {
              const open = log.intervals.find((i) => i.to === undefined);
              if (open && performance.now() - open.from > TTL_MS * 1.5) return open;
              await sleep(100);
            }
          })(),
        );
      try {
        await leaderLasting('a leader before the faults');
        await running().restartEtcd();
        await leaderLasting('a leader after etcd restarted');
        // Frozen etcd: the API server takes requests and answers none of the writes.
        const etcd = running().etcd;
        const frozenAt = performance.now();
        await etcd.pause();
        try {
          await sleep(TTL_MS * 1.5);
          // The leader stepped down by its local deadline.
          const open = log.intervals.filter((i) => i.to === undefined || (i.to as number) > frozenAt + TTL_MS);
          expect(open).toEqual([]);
        } finally {
          await etcd.resume();
        }
        const after = await leaderLasting('a leader after etcd thawed');
        expect(after.from).toBeGreaterThan(frozenAt);
        expect(log.overlaps()).toEqual([]);
        expect(log.tokensIncrease()).toBe(true);
      } finally {
        stop.abort();
        await Promise.all(candidates);
      }
    });
  });

  describe('configuration', () => {
    it('in a pod: kubernetes:// finds the API server in the environment and the token, CA and namespace of the service account', async () => {
      const server = running();
      const dir = await mkdtemp(join(tmpdir(), 'baton-sa-'));
      try {
        // As the kubelet mounts them: the token without a newline, the cluster CA, the namespace.
        await writeFile(join(dir, 'token'), server.elector.token);
        await copyFile(server.caFile, join(dir, 'ca.crt'));
        await writeFile(join(dir, 'namespace'), server.namespace);
        const env = { KUBERNETES_SERVICE_HOST: server.host, KUBERNETES_SERVICE_PORT: String(server.port) };
        const inCluster = await openKubernetesBackend(
          parseKubernetesUrl('kubernetes://'),
          resolveBackendOptions({ ttlMs: TTL_MS }),
          AbortSignal.timeout(10_000),
          { serviceAccountDir: dir, env },
        );
        clients.push(inCluster);
        expect(inCluster.namespace).toBe(server.namespace);
        const leadership = await inCluster.election('in-cluster').campaign({ id: 'pod' });
        expect((await readLease('in-cluster')).spec.holderIdentity).toBe('pod');
        await leadership.resign();

        // An explicit host:port with the same service account.
        const byAddress = await openKubernetesBackend(
          parseKubernetesUrl(`kubernetes://${server.host}:${server.port}`),
          resolveBackendOptions({ ttlMs: TTL_MS }),
          AbortSignal.timeout(10_000),
          { serviceAccountDir: dir, env: {} },
        );
        clients.push(byAddress);
        expect(await byAddress.election('in-cluster').leader()).toBeUndefined();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('a configured KubeConfig is used as given, with the namespace from the URL', async () => {
      const config = new KubeConfig();
      config.loadFromFile(running().elector.kubeconfig);
      const backend = await connectKubernetes(`kubernetes://?namespace=${running().namespace}`, {
        client: config,
        ttlMs: TTL_MS,
      });
      clients.push(backend);
      const leadership = await backend.election('given-client').campaign({ id: 'given' });
      expect((await readLease('given-client')).spec.holderIdentity).toBe('given');
      await leadership.resign();
      await expect(
        connectKubernetes(`kubernetes://${running().host}:${running().port}`, { client: config }),
      ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    });

    it('a kubeconfig context that does not exist is refused at once, naming the ones that do', async () => {
      const url = `kubernetes://?kubeconfig=${encodeURIComponent(running().elector.kubeconfig)}&context=nope`;
      await expect(connect(url)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await expect(connect(url)).rejects.toThrow(/no context "nope"/);
    });
  });

  describe('RBAC', () => {
    it('credentials without the Role in the namespace are refused at connect with ERR_AUTH, naming the verbs needed', async () => {
      const url = `kubernetes://?kubeconfig=${encodeURIComponent(running().elector.kubeconfig)}&namespace=default`;
      const refused = connect(url, { ttlMs: TTL_MS });
      await expect(refused).rejects.toMatchObject({ code: 'ERR_AUTH' });
      await expect(refused).rejects.toThrow(/get, list, watch, create and update/);
      // And no token in the message.
      await expect(refused).rejects.not.toThrow(running().elector.token);
    });
  });
});
