import advisoryLock from 'advisory-lock';
import pg from 'pg';
import type { ContenderKit } from '../contender.js';

// A CommonJS module with `exports.default`: from ESM its default import is the exports object.
type ClientClass = typeof pg.Client;

/**
 * Runs `start` with pg's Client class replaced by one that hands every client made meanwhile
 * to `made`. advisory-lock makes a fresh pg.Client inside each lock() call, synchronously, and
 * gives it no 'error' listener: a server that stops would make that client throw and end the
 * benchmark. This is how the kit attaches one (and learns of a lost lock).
 */
function capturingClients<T>(start: () => T, made: (client: pg.Client) => void): T {
  const module = pg as unknown as { Client: ClientClass };
  const original = module.Client;
  module.Client = class extends original {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      made(this);
    }
  };
  try {
    return start();
  } finally {
    module.Client = original;
  }
}

/**
 * `advisory-lock`: a session-level `pg_advisory_lock` on a connection of its own per lock()
 * call. The waiter blocks in the server, which wakes it when the holder unlocks or its
 * connection closes: no polling. No fencing token, no expiry of a hung holder, no observer;
 * the lock is lost silently with its connection (the kit reports that through 'error').
 */
export function advisoryLockKit(url: string): ContenderKit {
  const clients = new Set<pg.Client>();
  return {
    label: 'advisory-lock',
    // The waiter opens a connection (with SCRAM authentication) before it blocks in the server.
    settleMs: 100,
    async contender(election) {
      const mutex = advisoryLock.default(url)(`bench:${election}`);
      return {
        async acquire(_signal, onLost) {
          const unlock = await capturingClients(
            () => mutex.lock(),
            (client) => {
              clients.add(client);
              client.on('error', () => onLost?.());
              client.on('end', () => clients.delete(client));
            },
          );
          return () => unlock();
        },
      };
    },
    async close() {
      await Promise.allSettled([...clients].map((client) => client.end()));
    },
  };
}
