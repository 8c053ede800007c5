import { randomUUID } from 'node:crypto';
import { within } from '@baton/conformance';
import { type Backend, connect, type Leadership } from '@baton/core';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from '../../../test/backends/index.js';
import { electionKeys } from '../src/keys.js';

const TTL_MS = 2_000;

describeBackend('redis')('redis: a restart without persistence under a leader', () => {
  let server: ServerHandle;
  const clients: Backend[] = [];
  const open = async (options: Parameters<typeof connect>[1] = {}): Promise<Backend> => {
    const backend = await connect(server.url, { ttlMs: TTL_MS, connectTimeoutMs: 2_000, ...options });
    clients.push(backend);
    return backend;
  };
  const counterOf = async (name: string): Promise<string | null> => {
    const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    try {
      return await admin.get(electionKeys('baton', name).counter);
    } finally {
      admin.disconnect();
    }
  };

  beforeAll(async () => {
    server = await startServer('redis');
  });
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('the leader learns it lost, and the next token is still greater than every token given before', async () => {
    const backend = await open();
    const name = `restart/${randomUUID().slice(0, 8)}`;
    const election = backend.election(name);
    const tokens: bigint[] = [];
    for (let round = 0; round < 5; round++) {
      const leadership = await election.campaign({ id: `round-${round}` });
      tokens.push(leadership.token);
      await leadership.resign();
    }
    const leader = await election.campaign({ id: 'before-restart' });
    tokens.push(leader.token);
    expect(await counterOf(name)).toBe(String(leader.token));

    await server.restart({ wipe: true });
    expect(await within('the leader to learn of its loss', TTL_MS + 2_000, leader.ended)).toBe('connection-lost');
    expect(leader.signal.aborted).toBe(true);
    expect(leader.signal.reason).toMatchObject({ code: 'ERR_LEADERSHIP_LOST', reason: 'connection-lost' });
    // The server really forgot: the counter is gone.
    expect(await counterOf(name)).toBeNull();

    // The same client recovers once ioredis has reconnected, without a restart.
    const after = await within('a leader after the restart', TTL_MS * 5, election.campaign({ id: 'after-restart' }));
    expect(tokens.filter((token) => token >= after.token)).toEqual([]);
    expect(await election.leader()).toEqual({ id: 'after-restart', token: after.token });
  });

  it('kill + restart: a tolerant leader ends by its deadline at the latest; a waiter takes over with a greater token', async () => {
    const [leaderClient, waiterClient] = [
      await open({ onDisconnect: 'tolerate-until-deadline' }),
      await open({ onDisconnect: 'tolerate-until-deadline' }),
    ];
    const name = `kill/${randomUUID().slice(0, 8)}`;
    const leader: Leadership = await leaderClient.election(name).campaign({ id: 'leader' });
    const waiting = waiterClient.election(name).campaign({ id: 'waiter' });
    waiting.catch(() => undefined);

    await server.kill();
    await server.restart();
    // The key is gone with the server's memory: the first renewal after the restart says so
    // ('deposed'), or the deadline passes first ('expired' / 'connection-lost').
    const reason = await within('the tolerant leader to end', TTL_MS + 2_000, leader.ended);
    expect(['deposed', 'expired', 'connection-lost']).toContain(reason);

    const successor = await within('the waiter to lead', TTL_MS * 5, waiting);
    expect(successor.id).toBe('waiter');
    expect(successor.token).toBeGreaterThan(leader.token);
  });

  it('a restarted server grants no election whose counter is missing until a full ttl after it started, whole-second uptime notwithstanding', async () => {
    // INFO's uptime_in_seconds is floor(now) - floor(start): a server started late in one
    // second reads 2 s of uptime after a little over 1 s. The restart is timed to start late
    // in a second and the campaign sent once the uptime reads 2, well before one ttl is up.
    const admin = (): Redis => new Redis(server.url, { maxRetriesPerRequest: 1, lazyConnect: false });
    const uptimeOf = async (client: Redis): Promise<number> =>
      Number(/uptime_in_seconds:(\d+)/.exec(await client.info('server'))?.[1]);
    for (let attempt = 0; attempt < 5; attempt++) {
      await waitUntilMillisecondOfSecond(700);
      const restartedAfter = Date.now();
      await server.restart({ wipe: true });
      const probe = admin();
      try {
        // The first whole second of the server's clock after its start.
        while ((await uptimeOf(probe)) < 1) await sleep(5);
        const secondBoundary = Date.now();
        if (secondBoundary - restartedAfter > 600) continue; // started too late in its second: try again
        while ((await uptimeOf(probe)) < 2) await sleep(5);
        expect(Date.now() - restartedAfter, 'the uptime reads 2 s before one ttl is up').toBeLessThan(TTL_MS - 200);
      } finally {
        probe.disconnect();
      }
      const backend = await open();
      const leadership = await within(
        'a leader once the quarantine is over',
        TTL_MS * 4,
        backend.election(`uptime/${randomUUID().slice(0, 8)}`).campaign({ id: 'after-restart' }),
      );
      expect(
        Date.now() - restartedAfter,
        'granted no earlier than one ttl after the server started',
      ).toBeGreaterThanOrEqual(TTL_MS);
      await leadership.resign();
      return;
    }
    throw new Error('the server never started late enough in a second in 5 tries');
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntilMillisecondOfSecond(ms: number): Promise<void> {
  await sleep((ms - (Date.now() % 1000) + 1000) % 1000);
}
