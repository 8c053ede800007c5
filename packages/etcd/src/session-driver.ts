import type { Logger, SessionDriver } from '@baton/core/adapter';
import { isLeaseNotFound } from './errors.js';
import type { EtcdStore } from './store.js';

/**
 * The client's session as etcd leases: a grant rounded up to whole seconds, one keepalive
 * per renewal, a revoke that deletes every key on the lease at once.
 */
export function etcdSessionDriver(store: EtcdStore, hostCount: number, logger: Logger): SessionDriver<string> {
  // One attempt per member, plus one: the pool picks members at random.
  const renewAttempts = Math.min(6, hostCount + 1);
  return {
    grant: async (ttlMs, signal) => {
      const granted = await store.grantLease(Math.ceil(ttlMs / 1_000), signal);
      return { id: granted.id, ttlMs: granted.ttlSeconds * 1_000 };
    },
    renew: async (id, signal) => {
      // A member that refuses the connection is not the cluster being gone: the next attempt
      // goes to another member. A member that hangs uses up the signal (the local deadline)
      // instead, and that is a lost connection.
      for (let attempt = 1; ; attempt++) {
        try {
          const ttlSeconds = await store.keepAliveOnce(id, signal);
          return ttlSeconds > 0 ? { kind: 'renewed', ttlMs: ttlSeconds * 1_000 } : { kind: 'lost', reason: 'expired' };
        } catch (error) {
          if (isLeaseNotFound(error)) return { kind: 'lost', reason: 'expired' };
          if (signal.aborted || attempt >= renewAttempts) throw error;
          logger.debug({ lease: id, attempt, err: error }, 'keepalive failed; trying another member');
        }
      }
    },
    revoke: async (id, signal) => {
      try {
        await store.revokeLease(id, signal);
      } catch (error) {
        if (!isLeaseNotFound(error)) throw error;
      }
    },
  };
}
