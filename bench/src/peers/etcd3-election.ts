import { Etcd3 } from 'etcd3';
import type { ContenderKit } from '../contender.js';

/** The `etcd3` package's own `election()` (a port of etcd's Go concurrency.Election). */
export function etcd3ElectionKit(hosts: string, ttlMs: number): ContenderKit {
  const clients: Etcd3[] = [];
  const client = (): Etcd3 => {
    const created = new Etcd3({ hosts });
    clients.push(created);
    return created;
  };
  const ttlSeconds = Math.max(1, Math.ceil(ttlMs / 1_000));
  return {
    label: 'etcd3 election()',
    // A waiter watches its predecessor from the revision it read, which etcd treats as a
    // catching-up watch and serves from a loop that runs every 100 ms until it is current.
    settleMs: 150,
    async contender(election, id) {
      const target = client().election(`bench-${election}`, ttlSeconds);
      return {
        async acquire(_signal, onLost) {
          const campaign = target.campaign(id);
          let elected = false;
          // After election, an error means the lease is gone; before, wait() rejects with it.
          campaign.on('error', () => {
            if (elected) onLost?.();
          });
          await campaign.wait();
          elected = true;
          return () => campaign.resign();
        },
      };
    },
    async observer(election, changed) {
      const observer = await client().election(`bench-${election}`, ttlSeconds).observe();
      observer.on('change', (leader: string | undefined) => changed(leader));
      observer.on('error', () => {});
      return async () => {
        await observer.cancel();
      };
    },
    async close() {
      for (const created of clients.splice(0)) created.close();
    },
  };
}
