import type { StoreHooks } from '@baton/conformance';
import type { Backend } from '@baton/core';
import { Redis } from 'ioredis';
import { RedisBackend } from '../src/backend.js';
import { DEFAULT_PREFIX, electionKeys } from '../src/keys.js';

function backendOf(backend: Backend): RedisBackend {
  if (!(backend instanceof RedisBackend)) throw new Error(`not a redis backend: ${backend.kind}`);
  return backend;
}

/** Sums `calls=` of the named commands in `INFO commandstats`. */
export function commandCalls(info: string, commands: readonly string[]): number {
  let total = 0;
  for (const command of commands) {
    const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
    if (match?.[1]) total += Number(match[1]);
  }
  return total;
}

export interface RedisHooks {
  readonly hooks: StoreHooks;
  /** The raw outside client the hooks use. */
  readonly admin: Redis;
  close(): Promise<void>;
}

/**
 * Store hooks for Redis, acting through a separate raw ioredis client. They know Baton's key
 * layout: `${prefix}:{${election}}:owner` holds the leader as JSON with a PX ttl.
 *
 * @param url `redis://host:port` of the server.
 * @param ttlMs the ttl of the outsider's key in overwriteLeaderKey.
 */
export function redisHooks(url: string, ttlMs: number, prefix = DEFAULT_PREFIX): RedisHooks {
  const admin = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, commandTimeout: 5_000 });
  admin.on('error', () => {});

  const hooks: StoreHooks = {
    // Redis has no session: each leader key has its own PX ttl, renewed in one batch per
    // client. What a session's expiry does elsewhere, the ttls running out of every key this
    // client holds does here; deleting them is that, without the wait. A waiting candidate
    // holds no key, so for a waiter this does nothing (its "session" is its connection).
    async expireSession(backend) {
      const keys = backendOf(backend).heldKeys;
      if (keys.length > 0) await admin.del(...keys);
    },
    async deleteLeaderKey(election) {
      await admin.del(electionKeys(prefix, election).owner);
    },
    async overwriteLeaderKey(election) {
      const record = JSON.stringify({ id: 'outsider', token: '0', value: 'overwritten' });
      await admin.set(electionKeys(prefix, election).owner, record, 'PX', ttlMs);
    },
    // Kills the backend's pub/sub connection (found by its CLIENT SETNAME): ioredis reconnects,
    // and every message published in between is lost.
    async breakWatches(backend) {
      const name = backendOf(backend).subscriberName;
      const list = String(await admin.call('CLIENT', 'LIST'));
      const ids = list
        .split('\n')
        .filter((line) => line.includes(` name=${name} `))
        .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
        .filter((id): id is string => id !== undefined);
      if (ids.length === 0) throw new Error(`no pub/sub connection named ${name}`);
      for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
    },
    // Renewals are the only scripts that run while leaders just hold; EVAL counts the
    // fallback after a NOSCRIPT.
    async renewalCount() {
      return commandCalls(await admin.info('commandstats'), ['evalsha', 'eval']);
    },
  };
  return {
    hooks,
    admin,
    close: async () => {
      await admin.quit().catch(() => admin.disconnect());
    },
  };
}
