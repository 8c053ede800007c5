import { Redis } from 'ioredis';
import { Mutex } from 'redis-semaphore';
import type { ContenderKit } from '../contender.js';

/**
 * `redis-semaphore`'s Mutex used as a leadership lock, with its defaults (retry every
 * 10 ms, refresh at 80 % of the lock timeout). It polls; it cannot observe the holder.
 */
export function redisSemaphoreKit(host: string, port: number, ttlMs: number): ContenderKit {
  const clients: Redis[] = [];
  return {
    label: 'redis-semaphore',
    async contender(election) {
      const client = new Redis({ host, port });
      clients.push(client);
      return {
        async acquire(signal, onLost) {
          const mutex = new Mutex(client, `bench:semaphore:${election}`, {
            lockTimeout: ttlMs,
            acquireTimeout: 60_000,
            onLockLost: () => onLost?.(),
          });
          await mutex.acquire(signal);
          return () => mutex.release();
        },
      };
    },
    async close() {
      await Promise.allSettled(clients.splice(0).map((client) => client.quit()));
    },
  };
}
