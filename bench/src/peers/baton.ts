import { type Backend, type BackendOptions, connect } from '@baton/core';
import type { ContenderKit } from '../contender.js';

/** Baton itself, through the same loop as the peers: one client per contender. */
export function batonKit(url: string, options: BackendOptions): ContenderKit {
  const clients: Backend[] = [];
  const client = async (): Promise<Backend> => {
    const backend = await connect(url, options);
    clients.push(backend);
    return backend;
  };
  return {
    label: 'baton',
    async contender(election, id) {
      const target = (await client()).election(election);
      return {
        async acquire(signal) {
          const leadership = await target.campaign({ id, ...(signal ? { signal } : {}) });
          return () => leadership.resign();
        },
      };
    },
    async observer(election, changed) {
      const stop = new AbortController();
      const watching = (async () => {
        for await (const leader of (await client()).election(election).observe({ signal: stop.signal })) {
          changed(leader?.id);
        }
      })();
      return async () => {
        stop.abort();
        await watching;
      };
    },
    async close() {
      await Promise.allSettled(clients.splice(0).map((backend) => backend.close()));
    },
  };
}
