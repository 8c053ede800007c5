import { ConsulBackend, connectConsul } from '@baton/consul';
import { connect } from '@baton/core';
import { monotonicNow, type Session } from '@baton/core/adapter';
import Consul from 'consul';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from '../../../test/backends/index.js';
import { leaderKey } from '../src/keys.js';

const TTL_MS = 2_000;

interface RawEntry {
  Flags: number;
  LockIndex: number;
  ModifyIndex: number;
  Session?: string;
}

describeBackend('consul')('@baton/consul against a Consul agent', () => {
  let server: ServerHandle | undefined;
  let http = '';
  let url = '';

  const raw = async (path: string, init?: RequestInit): Promise<unknown> => {
    const response = await fetch(`${http}/v1${path}`, { signal: AbortSignal.timeout(5_000), ...init });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  };
  const rawKey = async (election: string): Promise<RawEntry | undefined> =>
    ((await raw(`/kv/${leaderKey('baton', election)}`)) as RawEntry[] | undefined)?.[0];

  beforeAll(async () => {
    server = await startServer('consul');
    http = `http://${server.host}:${server.port}`;
    url = server.url;
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('creates one session per client: ttl, behavior release, no health checks, the lock-delay asked for', async () => {
    const backend = await connect(`${url}?lockDelay=750ms`, { ttlMs: 1_500 });
    try {
      expect(backend).toBeInstanceOf(ConsulBackend);
      expect(backend.ttlMs).toBe(2_000);
      const id = (backend as ConsulBackend).sessionId;
      const [info] = (await raw(`/session/info/${id}`)) as Record<string, unknown>[];
      expect(info).toMatchObject({ TTL: '2s', Behavior: 'release', LockDelay: 750_000_000 });
      expect(info?.NodeChecks ?? []).toEqual([]);
      expect(info?.ServiceChecks ?? []).toEqual([]);
      expect(backend.capabilities.worstCaseFailoverMs).toBe(2 * 2_000 + 750);
    } finally {
      await backend.close();
    }
  });

  it('token: the raft index of the acquiring write, increasing across deletions of the key (LockIndex restarts)', async () => {
    const backend = await connect(url, { ttlMs: TTL_MS });
    try {
      const name = `tokens/${Date.now()}`;
      const first = await backend.election(name).campaign({ id: 'one' });
      const firstEntry = await rawKey(name);
      expect(firstEntry).toMatchObject({ LockIndex: 1, Flags: 0, Session: (backend as ConsulBackend).sessionId });
      expect(BigInt(firstEntry?.ModifyIndex ?? 0)).toBe(first.token);
      await first.resign();
      expect(await rawKey(name)).toBeUndefined(); // resign deletes the key

      const second = await backend.election(name).campaign({ id: 'two' });
      expect((await rawKey(name))?.LockIndex).toBe(1); // LockIndex alone would have gone back
      expect(second.token).toBeGreaterThan(first.token);

      // proclaim moves ModifyIndex on; the token goes into Flags and stays what it was.
      await second.proclaim('v2');
      const proclaimed = await rawKey(name);
      expect(BigInt(proclaimed?.ModifyIndex ?? 0)).toBeGreaterThan(second.token);
      expect(BigInt(proclaimed?.Flags ?? 0)).toBe(second.token);
      expect(await backend.election(name).leader()).toEqual({ id: 'two', value: 'v2', token: second.token });
    } finally {
      await backend.close();
    }
  });

  it('lock-delay: a successor waits it out after an invalidated session, but not after a resign', async () => {
    const lockDelayMs = 1_500;
    const [a, b] = [
      await connect(`${url}?lockDelay=${lockDelayMs}`, { ttlMs: TTL_MS }),
      await connect(`${url}?lockDelay=${lockDelayMs}`, { ttlMs: TTL_MS }),
    ];
    try {
      const name = `lock-delay/${Date.now()}`;
      const leader = await a.election(name).campaign({ id: 'a' });
      const waiting = b.election(name).campaign({ id: 'b' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const destroyedAt = monotonicNow();
      await raw(`/session/destroy/${(a as ConsulBackend).sessionId}`, { method: 'PUT' });
      expect(await leader.ended).toMatch(/expired|deposed/);
      const successor = await waiting;
      expect(monotonicNow() - destroyedAt).toBeGreaterThanOrEqual(lockDelayMs - 100);

      // A graceful resign releases the key first: no lock-delay applies.
      const next = a.election(name).campaign({ id: 'a-again' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const resignedAt = monotonicNow();
      await successor.resign();
      const again = await next;
      expect(monotonicNow() - resignedAt).toBeLessThan(lockDelayMs / 2);
      expect(again.token).toBeGreaterThan(successor.token);
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
    }
  });

  it('a session given up on (connection lost) has its keys deleted before it is destroyed: no lock-delay', async () => {
    const lockDelayMs = 5_000;
    const [a, b] = [
      (await connect(`${url}?lockDelay=${lockDelayMs}`, { ttlMs: TTL_MS })) as ConsulBackend,
      await connect(`${url}?lockDelay=${lockDelayMs}`, { ttlMs: TTL_MS }),
    ];
    try {
      const name = `given-up/${Date.now()}`;
      const leader = await a.election(name).campaign({ id: 'a' });
      const waiting = b.election(name).campaign({ id: 'b' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const id = a.sessionId;
      const lostAt = monotonicNow();
      // What the renewal loop does when the agent stops answering, under onDisconnect 'abort'.
      const { session } = (a as unknown as { context: { session: Session<string> } }).context;
      session.peek()?.lease.connectionLost(new Error('simulated: the agent did not answer'));
      expect(await leader.ended).toBe('connection-lost');
      const successor = await waiting;
      expect(monotonicNow() - lostAt).toBeLessThan(lockDelayMs / 2);
      expect(successor.token).toBeGreaterThan(leader.token);
      // And the session was destroyed, not left to be renewed.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await raw(`/session/info/${id}`)).toEqual([]);
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
    }
  });

  it('close() deletes the keys, then destroys the session', async () => {
    const backend = (await connect(url, { ttlMs: TTL_MS })) as ConsulBackend;
    const name = `close/${Date.now()}`;
    await backend.election(name).campaign();
    const id = backend.sessionId;
    await backend.close();
    expect(await rawKey(name)).toBeUndefined();
    expect(await raw(`/session/info/${id}`)).toEqual([]);
  });

  it('uses a consul client given in options.client, and leaves it open', async () => {
    const client = new Consul({ host: server?.host ?? '127.0.0.1', port: server?.port ?? 8500 });
    try {
      const backend = await connect(url, { ttlMs: TTL_MS, client });
      const name = `client/${Date.now()}`;
      const leadership = await backend.election(name).campaign({ id: 'mine' });
      expect(await backend.election(name).leader()).toMatchObject({ id: 'mine', token: leadership.token });
      await backend.close();
      expect(await client.kv.get(leaderKey('baton', name))).toBeUndefined();
    } finally {
      client.destroy();
    }
    await expect(connect(url, { client: { not: 'a client' } })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('moves on to the next agent of a multi-host URL when one refuses connections', async () => {
    const backend = await connectConsul(`consul://127.0.0.1:1,${server?.host}:${server?.port}`, { ttlMs: TTL_MS });
    try {
      const leadership = await backend.election(`multi/${Date.now()}`).campaign();
      expect(leadership.token).toBeGreaterThan(0n);
    } finally {
      await backend.close();
    }
  });
});

describeBackend('consul')('@baton/consul against an agent with the default session_ttl_min (10 s)', () => {
  let server: ServerHandle | undefined;

  beforeAll(async () => {
    server = await startServer('consul', { consulSessionTtlMin: '10s' });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("a ttl below the servers' minimum is raised to it at connect; under strictTtl it is refused with ERR_INVALID_ARGUMENT", async () => {
    const started = monotonicNow();
    const raised = await connect(server?.url ?? '', { ttlMs: 2_000 });
    expect(raised.ttlMs).toBe(10_000);
    expect(raised.capabilities.worstCaseFailoverMs).toBeGreaterThanOrEqual(20_000);
    await raised.close();
    const error = await connect(server?.url ?? '', { ttlMs: 2_000, strictTtl: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(String((error as Error).message)).toMatch(/10000 ms/);
    expect(monotonicNow() - started).toBeLessThan(4_000);
  });
});

describe('@baton/consul without a server', () => {
  it('fails fast with ERR_BACKEND_UNAVAILABLE when nothing answers', async () => {
    await expect(connect('consul://127.0.0.1:1', { connectTimeoutMs: 1_000 })).rejects.toMatchObject({
      code: 'ERR_BACKEND_UNAVAILABLE',
    });
  });
});
