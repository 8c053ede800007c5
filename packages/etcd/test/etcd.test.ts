import { randomUUID } from 'node:crypto';
import { type Backend, type BackendOptions, connect } from '@baton/core';
import { monotonicNow } from '@baton/core/adapter';
import etcd3 from 'etcd3';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from '../../../test/backends/index.js';
import { EtcdBackend } from '../src/index.js';
import { etcdHooks } from './hooks.js';

const TTL_MS = 2_000;

describeBackend('etcd')('etcd adapter on a real server', () => {
  let server: ServerHandle;
  let raw: etcd3.Etcd3;
  const clients: Backend[] = [];
  const client = async (options?: BackendOptions, url = server.url): Promise<EtcdBackend> => {
    const backend = await connect(url, { ttlMs: TTL_MS, connectTimeoutMs: 5_000, ...options });
    clients.push(backend);
    expect(backend).toBeInstanceOf(EtcdBackend);
    return backend as EtcdBackend;
  };
  const name = (label: string): string => `adapter/${label}/${randomUUID().slice(0, 8)}`;
  const keysOf = async (prefix: string) =>
    (await raw.getAll().prefix(prefix).sort('Create', 'Ascend').exec()).kvs.map((kv) => ({
      key: kv.key.toString(),
      value: kv.value.toString(),
      lease: kv.lease,
      createRevision: kv.create_revision,
    }));
  /** A counter from the server's /metrics, summed over its label sets that match. */
  const metric = async (pattern: RegExp): Promise<number> => {
    const text = await (await fetch(`http://${server.host}:${server.port}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => pattern.test(line))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  };

  beforeAll(async () => {
    server = await startServer('etcd');
    raw = new etcd3.Etcd3({ hosts: [`http://${server.host}:${server.port}`] });
  }, 60_000);

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((backend) => backend.close()));
  });

  afterAll(async () => {
    raw?.close();
    await server?.stop();
  });

  it('puts one key per candidate under PREFIX/ELECTION/@/, on the client lease; token = its create revision', async () => {
    const backend = await client();
    const election = name('layout');
    const leadership = await backend.election(election).campaign({ id: 'one', value: 'v1' });
    const leaseHex = BigInt(backend.leaseId ?? '0').toString(16);
    const keys = await keysOf(`/baton/${election}/@/`);
    expect(keys).toHaveLength(1);
    expect(keys[0]?.key).toMatch(new RegExp(`^/baton/${election}/@/${leaseHex}-[0-9a-f]+$`));
    expect(JSON.parse(keys[0]?.value ?? '')).toEqual({ id: 'one', value: 'v1' });
    expect(keys[0]?.lease).toBe(backend.leaseId);
    expect(BigInt(keys[0]?.createRevision ?? '0')).toBe(leadership.token);

    // proclaim rewrites the value; the create revision (the token) stays.
    await leadership.proclaim('v2');
    const after = await keysOf(`/baton/${election}/@/`);
    expect(after[0]?.createRevision).toBe(keys[0]?.createRevision);
    expect(JSON.parse(after[0]?.value ?? '')).toEqual({ id: 'one', value: 'v2' });

    await leadership.resign();
    expect(await keysOf(`/baton/${election}/@/`)).toEqual([]);
  });

  it('shares one lease among all elections and candidates of a client, with the ttl rounded up to seconds', async () => {
    const backend = await client({ ttlMs: 2_500 });
    expect(backend.ttlMs).toBe(3_000);
    expect(backend.capabilities).toMatchObject({ minTtlMs: 2_000, ttlResolutionMs: 1_000, fifo: true });
    const [x, y] = [name('shared-x'), name('shared-y')];
    await backend.election(x).campaign({ id: 'x' });
    await backend.election(y).campaign({ id: 'y1' });
    const queued = backend.election(y).campaign({ id: 'y2' });
    queued.catch(() => undefined);
    await expect.poll(async () => (await keysOf(`/baton/${y}/@/`)).length).toBe(2);
    const leases = new Set(
      [...(await keysOf(`/baton/${x}/@/`)), ...(await keysOf(`/baton/${y}/@/`))].map((k) => k.lease),
    );
    expect([...leases]).toEqual([backend.leaseId]);
    const granted = await raw.leaseClient.leaseTimeToLive({ ID: backend.leaseId ?? '0' });
    expect(granted.grantedTTL).toBe('3');

    const low = await client({ ttlMs: 100 });
    expect(low.ttlMs).toBe(2_000);
  });

  it('keeps nested election names apart', async () => {
    const backend = await client();
    const parent = name('nest');
    const outer = await backend.election(parent).campaign({ id: 'outer' });
    const inner = await backend.election(`${parent}/child`).campaign({ id: 'inner' });
    expect(outer.isLeader && inner.isLeader).toBe(true);
    expect(await backend.election(parent).leader()).toMatchObject({ id: 'outer' });
    await outer.resign();
    expect(await backend.election(parent).leader()).toBeUndefined();
    expect(await backend.election(`${parent}/child`).leader()).toMatchObject({ id: 'inner' });
  });

  it('honours ?prefix=', async () => {
    const backend = await client({}, `${server.url}?prefix=/custom/root`);
    const election = name('prefix');
    await backend.election(election).campaign({ id: 'p' });
    expect(await keysOf(`/custom/root/${election}/@/`)).toHaveLength(1);
    expect(await keysOf(`/baton/${election}/@/`)).toHaveLength(0);
  });

  it('uses options.client without closing it, and refuses a namespaced one', async () => {
    const own = new etcd3.Etcd3({ hosts: [`http://${server.host}:${server.port}`] });
    try {
      const backend = await client({ client: own });
      const election = name('own-client');
      await backend.election(election).campaign({ id: 'mine' });
      await backend.close();
      // Still usable: Baton did not close a client it did not create.
      expect(await own.get('nothing-here').string()).toBeNull();
      await expect(connect(server.url, { client: own.namespace('/ns/') })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      await expect(connect(server.url, { client: { not: 'etcd' } })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    } finally {
      own.close();
    }
  });

  it('wakes only the next candidate on a resign: waiters watch their predecessor, not the election', async () => {
    const election = name('herd');
    const backends = await Promise.all(Array.from({ length: 8 }, () => client()));
    const leader = await backends[0]?.election(election).campaign({ id: 'w0' });
    const waiting: Promise<unknown>[] = [];
    for (const [i, backend] of backends.slice(1).entries()) {
      const pending = backend.election(election).campaign({ id: `w${i + 1}` });
      pending.catch(() => undefined);
      waiting.push(pending);
      // One at a time, so that the queue order is known.
      await expect.poll(async () => (await keysOf(`/baton/${election}/@/`)).length).toBe(i + 2);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const requests = /^grpc_server_handled_total\{grpc_code="OK",grpc_method="(Range|Txn)",/;
    const before = await metric(requests);
    await leader?.resign();
    const next = (await waiting[0]) as { id: string };
    await new Promise((resolve) => setTimeout(resolve, 300));
    const reads = (await metric(requests)) - before;
    expect(next.id).toBe('w1');
    // The resign is one transaction, and the next candidate reads its predecessor and its
    // own key in one more; the six others read nothing.
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(reads).toBeLessThanOrEqual(3);
    for (const pending of waiting.slice(1)) {
      expect(await Promise.race([pending.then(() => 'led'), 'waiting'])).toBe('waiting');
    }
  });

  it('observe() re-subscribes and re-reads when etcd cancels its watch as compacted', async () => {
    const warnings: string[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (_fields: object, message?: string) => void warnings.push(message ?? ''),
      error: () => {},
    };
    const [watcher, leaderClient] = [await client({ logger }), await client()];
    const election = name('compacted');
    const hooks = etcdHooks([`http://${server.host}:${server.port}`], TTL_MS);
    const controller = new AbortController();
    const seen: (string | undefined)[] = [];
    const observing = (async () => {
      for await (const state of watcher.election(election).observe({ signal: controller.signal })) seen.push(state?.id);
    })();
    try {
      await expect.poll(() => seen).toEqual([undefined]);
      await hooks.hooks.breakWatches(watcher);
      await expect.poll(() => warnings.some((w) => w.startsWith('leader watch broke'))).toBe(true);
      await leaderClient.election(election).campaign({ id: 'after-compaction' });
      await expect.poll(() => seen.at(-1)).toBe('after-compaction');
    } finally {
      controller.abort();
      await observing;
      hooks.close();
    }
  });

  it('steps a leader down by its local deadline when the server stops answering, and recovers after', async (context) => {
    if (server.source !== 'local') context.skip(`pause() needs a local server, this one is ${server.source}`);
    const backend = await client();
    const election = name('paused');
    const leadership = await backend.election(election).campaign({ id: 'paused' });
    await server.pause();
    const pausedAt = monotonicNow();
    try {
      const reason = await leadership.ended;
      expect(['expired', 'connection-lost']).toContain(reason);
      expect(monotonicNow() - pausedAt).toBeLessThanOrEqual(TTL_MS);
    } finally {
      await server.resume();
    }
    const again = await backend.election(election).campaign({ id: 'paused' });
    expect(again.token).toBeGreaterThan(leadership.token);
  }, 30_000);

  it('maps refused credentials to AuthError', async () => {
    await expect(
      connect(`etcd://root:wrong@${server.host}:${server.port}`, { connectTimeoutMs: 3_000 }),
    ).rejects.toMatchObject({
      code: 'ERR_AUTH',
    });
  });
});

describeBackend('etcd')('etcd adapter with authentication enabled', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startServer('etcd');
    // Never turn authentication on in somebody else's etcd.
    if (server.source === 'env') return;
    const admin = new etcd3.Etcd3({ hosts: [`http://${server.host}:${server.port}`] });
    try {
      await admin.user('root').create('s3cret:/@');
      await admin.user('root').addRole('root');
      await admin.auth.authEnable({});
    } finally {
      admin.close();
    }
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('connects with the URL credentials and refuses wrong ones with ERR_AUTH', async (context) => {
    if (server.source === 'env') context.skip('authentication is only turned on in a server the test started');
    const hostPort = `${server.host}:${server.port}`;
    await expect(connect(`etcd://root:wrong@${hostPort}`, { connectTimeoutMs: 3_000 })).rejects.toMatchObject({
      code: 'ERR_AUTH',
    });
    await expect(connect(`etcd://${hostPort}`, { connectTimeoutMs: 3_000 })).rejects.toMatchObject({
      code: 'ERR_AUTH',
    });
    const backend = await connect(`etcd://root:${encodeURIComponent('s3cret:/@')}@${hostPort}`, {
      ttlMs: TTL_MS,
      connectTimeoutMs: 3_000,
    });
    try {
      const leadership = await backend.election('auth/test').campaign({ id: 'authed' });
      expect(await backend.election('auth/test').leader()).toMatchObject({ id: 'authed', token: leadership.token });
    } finally {
      await backend.close();
    }
  });
});
