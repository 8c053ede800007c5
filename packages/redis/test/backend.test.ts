import { randomUUID } from 'node:crypto';
import { within } from '@baton/conformance';
import { type Backend, connect } from '@baton/core';
import { sleep } from '@baton/core/adapter';
import { connectRedis, RedisBackend } from '@baton/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from '../../../test/backends/index.js';
import { electionKeys } from '../src/keys.js';

const TTL_MS = 1_500;

const unique = (label: string): string => `${label}/${randomUUID().slice(0, 8)}`;

describeBackend('redis')('redis adapter on a real server', () => {
  let server: ServerHandle;
  let admin: Redis;
  const clients: Backend[] = [];
  const open = async (options: Parameters<typeof connect>[1] = {}): Promise<RedisBackend> => {
    const backend = await connect(server.url, { ttlMs: TTL_MS, connectTimeoutMs: 2_000, ...options });
    clients.push(backend);
    if (!(backend instanceof RedisBackend)) throw new Error('not a RedisBackend');
    return backend;
  };
  const killConnection = async (name: string): Promise<void> => {
    const list = String(await admin.call('CLIENT', 'LIST'));
    const id = list
      .split('\n')
      .find((line) => line.includes(` name=${name} `))
      ?.match(/(?:^|\s)id=(\d+)/)?.[1];
    if (!id) throw new Error(`no connection named ${name}`);
    await admin.call('CLIENT', 'KILL', 'ID', id);
  };

  beforeAll(async () => {
    server = await startServer('redis');
    admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  });
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((client) => client.close()));
    await admin.config('SET', 'notify-keyspace-events', '');
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it('names its connections, holds one owner key with a PX ttl, and a token drawn from the server clock', async () => {
    const backend = await open();
    const name = unique('layout');
    const before = BigInt(Date.now()) * 1000n;
    const leadership = await backend.election(name).campaign({ id: 'a', value: 'v' });
    const after = BigInt(Date.now()) * 1000n;
    // On a fresh counter the token is the server's clock in microseconds (same host here).
    expect(leadership.token).toBeGreaterThanOrEqual(before - 1_000_000n);
    expect(leadership.token).toBeLessThanOrEqual(after + 1_000_000n);
    const keys = electionKeys('baton', name);
    expect(JSON.parse(String(await admin.get(keys.owner)))).toMatchObject({
      id: 'a',
      value: 'v',
      token: String(leadership.token),
    });
    const pttl = await admin.pttl(keys.owner);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(TTL_MS);
    expect(await admin.get(keys.counter)).toBe(String(leadership.token));
    expect(backend.heldKeys).toEqual([keys.owner]);
    const list = String(await admin.call('CLIENT', 'LIST'));
    expect(list).toContain(` name=${backend.subscriberName} `);
    expect(list).toContain(` name=${backend.connectionName} `);

    // The next token comes from the counter, +1, unless the clock has passed it.
    await leadership.resign();
    expect(backend.heldKeys).toEqual([]);
    const next = await backend.election(name).campaign();
    expect(next.token).toBeGreaterThan(leadership.token);
  });

  it('uses a client given through options.client, and does not close it', async () => {
    const given = new Redis(server.url, { lazyConnect: true });
    try {
      const backend = await open({ client: given });
      const leadership = await backend.election(unique('given')).campaign({ id: 'given' });
      expect(leadership.isLeader).toBe(true);
      await backend.close();
      expect(await leadership.ended).toBe('closed');
      expect(given.status).toBe('ready');
      expect(await given.ping()).toBe('PONG');
    } finally {
      given.disconnect();
    }
  });

  it('with your own client a bare redis:// is enough: the URL then gives only the scheme and ?prefix=', async () => {
    const given = new Redis(server.url);
    try {
      const backend = await connectRedis('redis://?prefix=own', { client: given, ttlMs: TTL_MS });
      clients.push(backend);
      const name = unique('bare');
      const leadership = await backend.election(name).campaign({ id: 'bare' });
      expect(await given.exists(electionKeys('own', name).owner)).toBe(1);
      await leadership.resign();
    } finally {
      given.disconnect();
    }
  });

  it('a database the server does not have is ERR_INVALID_ARGUMENT naming it, not a silent fallback to database 0', async () => {
    await expect(connect(`${server.url.replace(/\/\d*$/, '')}/99`, { ttlMs: TTL_MS })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('database 99'),
    });
  });

  it('a URL without a host and without a client is refused at once, naming what is missing', async () => {
    await expect(connectRedis('redis://')).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('names no host'),
    });
  });

  it('a closed client is refused at once, saying it is closed, not after a timeout naming another host', async () => {
    const given = new Redis(server.url);
    await given.quit();
    await until(() => given.status === 'end');
    const startedAt = performance.now();
    await expect(connectRedis('redis://', { client: given, connectTimeoutMs: 5_000 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('options.client is closed'),
    });
    expect(performance.now() - startedAt).toBeLessThan(500);
  });

  it("a client that cannot connect fails naming the client's own address", async () => {
    const given = new Redis('redis://127.0.0.1:1', { lazyConnect: true, retryStrategy: () => null });
    try {
      const failure = await connectRedis('redis://', { client: given, connectTimeoutMs: 1_000 }).catch(
        (error) => error,
      );
      expect(failure).toMatchObject({ code: 'ERR_BACKEND_UNAVAILABLE' });
      expect(String(failure.message)).toContain('options.client (127.0.0.1:1)');
      expect(String(failure.message)).not.toContain('localhost');
    } finally {
      given.disconnect();
    }
  });

  it('refuses a non-ioredis client; raises a ttl below 100 ms to 100, or refuses it under strictTtl', async () => {
    await expect(open({ client: { not: 'a client' } })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const raised = await open({ ttlMs: 50 });
    expect(raised.ttlMs).toBe(100);
    await raised.close();
    await expect(open({ ttlMs: 50, strictTtl: true })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('maps refused credentials to ERR_AUTH', async () => {
    const password = `pw-${randomUUID().slice(0, 8)}`;
    await admin.config('SET', 'requirepass', password);
    try {
      const url = new URL(server.url);
      await expect(connect(url.href, { connectTimeoutMs: 2_000 })).rejects.toMatchObject({ code: 'ERR_AUTH' });
      url.password = 'wrong';
      await expect(connect(url.href, { connectTimeoutMs: 2_000 })).rejects.toMatchObject({ code: 'ERR_AUTH' });
      url.password = password;
      const backend = await connect(url.href, { connectTimeoutMs: 2_000, ttlMs: TTL_MS });
      clients.push(backend);
      const leadership = await backend.election(unique('auth')).campaign();
      expect(leadership.isLeader).toBe(true);
    } finally {
      await admin.config('SET', 'requirepass', '');
    }
  });

  it("a killed command connection ends the client's leaderships ('connection-lost'); the client recovers", async () => {
    const backend = await open();
    const name = unique('conn');
    const leadership = await backend.election(name).campaign({ id: 'a' });
    await killConnection(backend.connectionName as string);
    expect(await within('loss on disconnect', 2_000, leadership.ended)).toBe('connection-lost');
    const again = await within('a new term after reconnecting', TTL_MS * 4, backend.election(name).campaign());
    expect(again.token).toBeGreaterThan(leadership.token);
  });

  it('a waiter whose connections drop keeps waiting, and leads once the leader resigns', async () => {
    const [leaderClient, waiterClient] = [await open(), await open()];
    const name = unique('waiter-conn');
    const leadership = await leaderClient.election(name).campaign({ id: 'leader' });
    const waiting = waiterClient.election(name).campaign({ id: 'waiter' });
    waiting.catch(() => undefined);
    await sleep(100);
    await killConnection(waiterClient.connectionName as string);
    await killConnection(waiterClient.subscriberName);
    await sleep(300);
    await leadership.resign();
    const successor = await within('the waiter to lead', TTL_MS * 3, waiting);
    expect(successor.id).toBe('waiter');
    expect(successor.token).toBeGreaterThan(leadership.token);
    // Its leadership is renewed: it outlives a ttl.
    await sleep(TTL_MS * 1.3);
    expect(successor.isLeader).toBe(true);
  });

  it('without keyspace notifications, an outside DEL is found by the next renewal', async () => {
    const backend = await open();
    const name = unique('no-keyspace');
    const leadership = await backend.election(name).campaign({ id: 'a' });
    await admin.del(electionKeys('baton', name).owner);
    expect(await within('the renewal to notice', TTL_MS, leadership.ended)).toBe('deposed');
  });

  it('with keyspace notifications, an outside DEL ends the term at once, and waiters retry at once on expiry', async () => {
    await admin.config('SET', 'notify-keyspace-events', 'Kg$xe');
    const [a, b] = [await open(), await open()];
    const name = unique('keyspace');
    const leadership = await a.election(name).campaign({ id: 'a' });
    await sleep(50);
    await admin.del(electionKeys('baton', name).owner);
    expect(await within('the keyspace event', 300, leadership.ended)).toBe('deposed');

    // An outsider's key expires: the waiter is woken by the 'expired' event, not by a poll.
    await admin.set(electionKeys('baton', name).owner, JSON.stringify({ id: 'x', token: '0' }), 'PX', TTL_MS * 10);
    const waiting = b.election(name).campaign({ id: 'b' });
    await sleep(200);
    await admin.pexpire(electionKeys('baton', name).owner, 100);
    const started = performance.now();
    const successor = await within('the waiter after the expiry', TTL_MS, waiting);
    expect(successor.id).toBe('b');
    expect(performance.now() - started).toBeLessThan(TTL_MS / 2);
  });

  it('observe() reports a vacancy after an expiry, with or without notifications', async () => {
    const [leaderClient, watcher] = [await open(), await open()];
    const name = unique('observe-expiry');
    const leadership = await leaderClient.election(name).campaign({ id: 'a' });
    const controller = new AbortController();
    const states: unknown[] = [];
    const done = (async () => {
      for await (const state of watcher.election(name).observe({ signal: controller.signal })) states.push(state);
    })();
    await sleep(100);
    // The leader's process vanishes without a word: its key just expires.
    await admin.set(
      electionKeys('baton', name).owner,
      JSON.stringify({ id: 'a', token: String(leadership.token) }),
      'PX',
      200,
    );
    await within(
      'the vacancy',
      TTL_MS * 2,
      (async () => {
        while (states.at(-1) !== undefined) await sleep(20);
      })(),
    );
    controller.abort();
    await done;
    expect(states[0]).toMatchObject({ id: 'a' });
    expect(states.at(-1)).toBeUndefined();
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 2_000) throw new Error('condition not met within 2 s');
    await sleep(10);
  }
}
