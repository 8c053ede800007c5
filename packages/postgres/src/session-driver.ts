import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger, SessionDriver } from '@baton/core/adapter';
import type { Candidacies } from './candidacies.js';
import type { PgStore } from './store.js';

/** Expired sessions a new session sweeps away at most, so that rows of crashed clients do not pile up. */
const SWEEP_LIMIT = 100;

/**
 * The client's session as one row: opened with a fresh uuid and the ttl, renewed for every
 * election of the client by one UPDATE per tick (which also counts the rows hanging on it),
 * closed by one DELETE that takes every candidacy with it. Expiry is the server's clock's.
 */
export function postgresSessionDriver(store: PgStore, candidacies: Candidacies, logger: Logger): SessionDriver<string> {
  const label = `${hostname()} pid ${process.pid}`;
  return {
    grant: async (ttlMs, signal) => {
      const id = randomUUID();
      await store.openSession(id, ttlMs, label, signal);
      store
        .sweepExpired(SWEEP_LIMIT)
        .catch((error: unknown) => logger.debug({ err: error }, 'sweep of expired sessions failed'));
      return { id, ttlMs };
    },
    renew: async (id, signal) => {
      const { renewed, candidacies: rows } = await store.renewSession(id, signal);
      if (!renewed) return { kind: 'lost', reason: 'expired' };
      candidacies.counted(id, rows);
      return { kind: 'renewed' };
    },
    revoke: (id, signal) => store.closeSession(id, signal),
  };
}
