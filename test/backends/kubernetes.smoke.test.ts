import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  type V1Lease,
  V1MicroTime,
  Watch,
} from '@kubernetes/client-node';
import { beforeAll, expect, it } from 'vitest';
import { describeBackend, type KubernetesUser, serverForSuite, startKubernetes } from './index.js';
import { waitUntil } from './process.js';

function configFor(user: KubernetesUser): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(user.kubeconfig);
  return config;
}

function leasesApi(user: KubernetesUser): CoordinationV1Api {
  return configFor(user).makeApiClient(CoordinationV1Api);
}

/** The HTTP status a rejected call got, or 'ok'. */
async function statusOf(call: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

/**
 * A Lease as client-go's LeaseLock writes one. Its times are MicroTime, which the API server
 * parses only with six fractional digits: V1MicroTime sends them, a plain Date (three) is refused.
 */
function lease(name: string, holder: string, transitions = 0): V1Lease {
  const now = new V1MicroTime();
  return {
    metadata: { name },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: 15,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: transitions,
    },
  };
}

describeBackend('kubernetes')('kubernetes API server (smoke)', () => {
  const running = serverForSuite(startKubernetes);
  let leases: CoordinationV1Api;

  beforeAll(() => {
    leases = leasesApi(running().elector);
  });

  it('names the server and the namespace in its url', () => {
    const { url, port, namespace } = running();
    expect(url).toBe(`kubernetes://127.0.0.1:${port}?namespace=${namespace}`);
  });

  it('the elector user creates, reads and updates a Lease; an update with a stale resourceVersion gets 409 Conflict', async () => {
    const { namespace } = running();
    const created = await leases.createNamespacedLease({ namespace, body: lease('smoke-cas', 'a') });
    const firstVersion = created.metadata?.resourceVersion ?? '';
    expect(firstVersion).toMatch(/^\d+$/);

    const read = await leases.readNamespacedLease({ name: 'smoke-cas', namespace });
    expect(read.spec?.holderIdentity).toBe('a');
    expect(read.metadata?.resourceVersion).toBe(firstVersion);

    const renewed = await leases.replaceNamespacedLease({
      name: 'smoke-cas',
      namespace,
      body: { ...lease('smoke-cas', 'b', 1), metadata: { name: 'smoke-cas', resourceVersion: firstVersion } },
    });
    expect(renewed.spec?.holderIdentity).toBe('b');
    expect(renewed.spec?.leaseTransitions).toBe(1);
    expect(renewed.metadata?.resourceVersion).not.toBe(firstVersion);

    const stale = leases.replaceNamespacedLease({
      name: 'smoke-cas',
      namespace,
      body: { ...lease('smoke-cas', 'c', 2), metadata: { name: 'smoke-cas', resourceVersion: firstVersion } },
    });
    expect(await statusOf(stale)).toBe(409);
    expect((await leases.readNamespacedLease({ name: 'smoke-cas', namespace })).spec?.holderIdentity).toBe('b');
  });

  it('the API server refuses a Lease time with only milliseconds (a plain Date)', async () => {
    const { namespace } = running();
    const body = lease('smoke-millis', 'a');
    if (body.spec) body.spec.renewTime = new Date();
    expect(await statusOf(leases.createNamespacedLease({ namespace, body }))).toBe(400);
  });

  it('the elector user watches Leases in its namespace and sees a change', async () => {
    const { namespace } = running();
    const seen: string[] = [];
    let ended: unknown = 'not ended';
    const controller = await new Watch(configFor(running().elector)).watch(
      `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
      {},
      (phase: string, object: V1Lease) => {
        seen.push(`${phase} ${object.metadata?.name} ${object.spec?.holderIdentity}`);
      },
      (error: unknown) => {
        ended = error;
      },
    );
    try {
      await leases.createNamespacedLease({ namespace, body: lease('smoke-watched', 'w') });
      await waitUntil(async () => seen.includes('ADDED smoke-watched w'), {
        what: 'the watch reporting the new Lease',
        timeoutMs: 10_000,
      });
      expect(ended).toBe('not ended');
    } finally {
      controller.abort();
    }
  });

  it('the elector user is refused (403) outside its Role', async () => {
    const { namespace } = running();
    await leases.createNamespacedLease({ namespace, body: lease('smoke-refused', 'a') });
    const core = configFor(running().elector).makeApiClient(CoreV1Api);
    // Another namespace, another resource in its own namespace, and verbs leader election does not need.
    expect(await statusOf(leases.readNamespacedLease({ name: 'smoke-refused', namespace: 'default' }))).toBe(403);
    expect(await statusOf(leases.listNamespacedLease({ namespace: 'kube-system' }))).toBe(403);
    expect(await statusOf(core.listNamespacedConfigMap({ namespace }))).toBe(403);
    expect(await statusOf(leases.deleteNamespacedLease({ name: 'smoke-refused', namespace }))).toBe(403);
    expect(await statusOf(leases.deleteCollectionNamespacedLease({ namespace }))).toBe(403);
    // The admin user is not refused: the 403s above are the Role's doing.
    const admin = leasesApi(running().admin);
    expect(await statusOf(admin.deleteNamespacedLease({ name: 'smoke-refused', namespace }))).toBe('ok');
  });

  it('restart() keeps the port and the Leases, which live in etcd', { timeout: 120_000 }, async () => {
    const { namespace, port } = running();
    const pidBefore = running().pid;
    const created = await leases.createNamespacedLease({ namespace, body: lease('smoke-durable', 'kept') });
    await running().restart();
    expect(running().port).toBe(port);
    expect(running().pid).not.toBe(pidBefore);
    const read = await leases.readNamespacedLease({ name: 'smoke-durable', namespace });
    expect(read.spec?.holderIdentity).toBe('kept');
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });

  it('restartEtcd() keeps the Leases, and the API server serves them again', { timeout: 120_000 }, async () => {
    const { namespace } = running();
    await leases.createNamespacedLease({ namespace, body: lease('smoke-etcd', 'kept') });
    await running().restartEtcd();
    await waitUntil(
      async () => (await leases.readNamespacedLease({ name: 'smoke-etcd', namespace })).spec?.holderIdentity === 'kept',
      { what: 'the Lease read back after the etcd restart', timeoutMs: 30_000, intervalMs: 200 },
    );
  });

  it('pause() leaves calls unanswered until resume()', { timeout: 60_000 }, async () => {
    const server = running();
    const path = `/apis/coordination.k8s.io/v1/namespaces/${server.namespace}/leases`;
    await server.pause();
    try {
      await expect(server.asElector('GET', path, undefined, 1_000)).rejects.toThrow();
    } finally {
      await server.resume();
    }
    await waitUntil(async () => (await server.asElector('GET', path)).status === 200, {
      what: 'the API server answering after resume()',
      timeoutMs: 30_000,
    });
  });

  it('kill() stops the API server at once; restart() brings it back with the Leases', {
    timeout: 120_000,
  }, async () => {
    const { namespace } = running();
    await leases.createNamespacedLease({ namespace, body: lease('smoke-killed', 'kept') });
    await running().kill();
    expect(running().pid).toBeUndefined();
    await running().restart();
    const read = await leases.readNamespacedLease({ name: 'smoke-killed', namespace });
    expect(read.spec?.holderIdentity).toBe('kept');
  });
});
