import { BackendUnavailableError, type LeaderInfo, type LeaderSource } from '@baton/core/adapter';
import type { ZkConnection } from './connection.js';
import type { ZooKeeperElectionContext } from './context.js';
import { type WatchCallback, ZK } from './native.js';
import { decodeRecord, inLineOrder } from './paths.js';

/**
 * The one-shot watches an observer holds, at most one per kind and path: a read re-arms only
 * those that fired, so that a long-lived observer of a busy leader does not pile up watcher
 * callbacks in the C client.
 */
class ArmedWatches {
  private readonly armed = new Set<string>();
  private readonly onChange: () => void;

  constructor(onChange: () => void) {
    this.onChange = onChange;
  }

  /** A callback to register for `key`, or undefined while one is registered and has not fired. */
  take(key: string): WatchCallback | undefined {
    if (this.armed.has(key)) return undefined;
    this.armed.add(key);
    return (type) => {
      // A session event leaves the watch registered; any other event used it up.
      if (type !== ZK.ZOO_SESSION_EVENT) this.armed.delete(key);
      this.onChange();
    };
  }

  /** The request that was to register `key` failed, or registered nothing. */
  release(key: string): void {
    this.armed.delete(key);
  }

  clear(): void {
    this.armed.clear();
  }
}

/**
 * Runs a read that may register the watch `key`. A read that fails, or finds no node (a get
 * or a child listing then registers nothing), gives the watch back; `keepOnMissing` for an
 * exists watch, which stays on a missing node.
 */
async function watched<T>(
  watches: ArmedWatches | undefined,
  key: string,
  read: (watch: WatchCallback | undefined) => Promise<T | undefined>,
  keepOnMissing = false,
): Promise<T | undefined> {
  const watch = watches?.take(key);
  try {
    const result = await read(watch);
    if (watch && result === undefined && !keepOnMissing) watches?.release(key);
    return result;
  } catch (error) {
    if (watch) watches?.release(key);
    throw error;
  }
}

/**
 * The election's leader: its lowest-sequence candidate. With `watches`, arms one-shot
 * watches on the line and on the head's data, those not already armed.
 */
export async function readLeader(
  connection: ZkConnection,
  path: string,
  signal: AbortSignal,
  watches?: ArmedWatches,
): Promise<LeaderInfo | undefined> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const children = await watched(watches, `children:${path}`, (watch) => connection.children(path, signal, watch));
    if (children === undefined) {
      // No election node yet: watch for its creation (an exists watch stays on a missing
      // node), and read again if it just appeared.
      const appeared = await watched(
        watches,
        `exists:${path}`,
        (watch) => (watch ? connection.watchExists(path, watch, signal) : Promise.resolve(undefined)),
        true,
      );
      if (appeared) continue;
      return undefined;
    }
    const head = inLineOrder(children)[0];
    if (!head) return undefined;
    const headPath = `${path}/${head.name}`;
    const node = await watched(watches, `data:${headPath}`, (watch) => connection.get(headPath, signal, watch));
    // Gone between the two reads: the line changed, read it again.
    if (!node) continue;
    const record = decodeRecord(node.data, head.name);
    const token = BigInt(node.stat.czxid);
    return record.value === undefined ? { id: record.id, token } : { id: record.id, value: record.value, token };
  }
  throw new BackendUnavailableError('the leader kept changing while it was being read');
}

/**
 * How observe() reads a ZooKeeper election: every read arms one-shot watches on the children
 * (who leads) and on the leader's node (its value): the next change nudges the observer,
 * which reads again. A reconnect nudges it too, and a session that ended (taking its watches)
 * breaks it, so that it re-subscribes on the next session.
 */
export function watchedLeaderSource(context: ZooKeeperElectionContext, path: string): LeaderSource {
  let notify: { changed: () => void; broken: (error: unknown) => void } | undefined;
  let attached: { connection: ZkConnection; detach: () => void } | undefined;
  const watches = new ArmedWatches(() => notify?.changed());
  const detach = (): void => {
    attached?.detach();
    attached = undefined;
    watches.clear();
  };
  return {
    read: async (readSignal) => {
      const { id: connection } = await context.grant(readSignal);
      if (attached?.connection !== connection) {
        detach();
        // The C client restores watches after a reconnect, but re-reading costs little
        // and covers anything it could not replay; a session that ended took its watches.
        const offReconnected = connection.onReconnected(() => notify?.changed());
        const offEnded = connection.onEnded((reason) => notify?.broken(new Error(`ZooKeeper session ${reason}`)));
        attached = {
          connection,
          detach: () => {
            offReconnected();
            offEnded();
          },
        };
      }
      return readLeader(connection, path, readSignal, watches);
    },
    subscribe: async (changed, broken) => {
      notify = { changed, broken };
      return () => {
        notify = undefined;
        detach();
      };
    },
  };
}
