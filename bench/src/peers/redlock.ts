import { Redis } from 'ioredis';
import Redlock from 'redlock';
import type { ContenderKit } from '../contender.js';

/**
 * `redlock` used as a leadership lock, with its recommended settings (retry delay 200 ms,
 * jitter 200 ms) and unlimited retries. It has no notification: a waiter learns of a
 * release only at its next retry, and there is no way to observe the holder.
 */
export function redlockKit(host: string, port: number, ttlMs: number): ContenderKit {
  const clients: Redis[] = [];
  return {
    label: 'redlock',
    async contender(election) {
      const client = new Redis({ host, port, lazyConnect: false });
      clients.push(client);
      const redlock = new Redlock([client], { retryCount: -1 });
      redlock.on('error', () => {});
      return {
        async acquire() {
          const lock = await redlock.acquire([`bench:redlock:${election}`], ttlMs);
          return async () => {
            await lock.release().catch(() => undefined);
          };
        },
      };
    },
    async close() {
      await Promise.allSettled(clients.splice(0).map((client) => client.quit()));
    },
  };
}
