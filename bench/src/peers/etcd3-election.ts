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
    async contender(election, id) {
      const target = client().election(`bench-${election}`, ttlSeconds);
      return {
        async acquire() {
          const campaign = target.campaign(id);
          campaign.on('error', () => {});
          await campaign.wait();
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
