import { randomUUID } from 'node:crypto';
import { connect, type Leadership } from '@baton/core';
import { sleep } from '@baton/core/adapter';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from '../../../test/backends/index.js';

const TTL_MS = 1_500;
const ELECTIONS = 500;

/** EVALSHA + EVAL calls the server has served, from INFO commandstats. */
async function scriptCalls(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let total = 0;
  for (const command of ['evalsha', 'eval']) {
    const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
    if (match?.[1]) total += Number(match[1]);
  }
  return total;
}

describeBackend('redis')('redis: renewal batching', () => {
  let server: ServerHandle;
  let admin: Redis;

  beforeAll(async () => {
    server = await startServer('redis');
    admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it(`renews ${ELECTIONS} elections of one client with one script call per tick`, async () => {
    const backend = await connect(server.url, { ttlMs: TTL_MS, connectTimeoutMs: 2_000 });
    try {
      const prefix = `batch/${randomUUID().slice(0, 8)}`;
      const held: Leadership[] = await Promise.all(
        Array.from({ length: ELECTIONS }, (_, i) => backend.election(`${prefix}/${i}`).campaign({ id: `e${i}` })),
      );
      // The server is this file's own: nothing else runs scripts while the leaders just hold.
      const ticks = 6;
      const before = await scriptCalls(admin);
      await sleep((TTL_MS / 3) * ticks);
      const calls = (await scriptCalls(admin)) - before;
      expect(held.every((leadership) => leadership.isLeader)).toBe(true);
      // About one call per tick (the timing can shift one tick in or out), not ticks x 500.
      expect(calls).toBeGreaterThanOrEqual(ticks - 2);
      expect(calls).toBeLessThanOrEqual(ticks + 2);
      // And every key was renewed: each still has most of a ttl left.
      const pttls = await Promise.all(held.slice(0, 20).map((_, i) => admin.pttl(`baton:{${prefix}/${i}}:owner`)));
      for (const pttl of pttls) expect(pttl).toBeGreaterThan(TTL_MS / 3);
    } finally {
      await backend.close();
    }
  }, 60_000);
});
