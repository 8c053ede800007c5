/// <reference path="../redlock.d.ts" />
import { Redis } from 'ioredis';
import Redlock from 'redlock';
import type { ContenderKit } from '../contender.js';

/**
 * `redlock` used as a leadership lock, with its default settings (retry every
 * 200 ms ± 100 ms of jitter, automatic extension 500 ms before expiry) and unlimited
 * retries. The holder keeps the lock through `using()`,
 * which extends it before it expires. It has no notification: a waiter learns of a
 * release only at its next retry, and there is no way to observe the holder.
 */
export function redlockKit(host: string, port: number, ttlMs: number): ContenderKit {
  const clients: Redis[] = [];
  return {
    label: 'redlock',
    retryEveryMs: 300,
    async contender(election) {
      const client = new Redis({ host, port });
      clients.push(client);
      const redlock = new Redlock([client], { retryCount: -1 });
      redlock.on('error', () => {});
      return {
        acquire(_signal, onLost) {
          return new Promise((acquired, failed) => {
            let release: () => void = () => {};
            const releasing = new Promise<void>((resolve) => {
              release = resolve;
            });
            const held = redlock.using([`bench:redlock:${election}`], ttlMs, async (extension) => {
              extension.addEventListener('abort', () => onLost?.());
              acquired(async () => {
                release();
                await held.catch(() => undefined);
              });
              await releasing;
            });
            held.catch(failed);
          });
        },
      };
    },
    async close() {
      await Promise.allSettled(clients.splice(0).map((client) => client.quit()));
    },
  };
}
