import { randomBytes } from 'node:crypto';
import {
  BackendUnavailableError,
  backoffDelay,
  type CampaignOptions,
  ClosedError,
  type Election,
  InvalidArgumentError,
  type LeaderInfo,
  type Leadership,
  LeadershipLostError,
  LeadershipTerm,
  type LeaseGrant,
  type ObserveOptions,
  observeLeader,
  resolveCampaignOptions,
  sleep,
  toAbortError,
} from '@baton/core';
import type { ZooKeeperBackend } from './backend.js';
import type { ZkConnection } from './connection.js';
import { hasCode, isTransient, toBatonError } from './errors.js';
import { type NativeAcl, type NativeStat, type WatchCallback, ZK } from './native.js';
import {
  ancestry,
  candidatePrefix,
  decodeRecord,
  electionPath,
  encodeRecord,
  inLineOrder,
  NODE_PREFIX,
} from './paths.js';

/**
 * With digest credentials: the authenticated user may do anything, everyone else may only
 * read. On the election node this keeps other clients from creating or deleting candidate
 * nodes (ZooKeeper checks a delete against the parent's ACL); on a candidate node, from
 * overwriting its data.
 */
const PROTECTED_ACL: readonly NativeAcl[] = [
  { perms: ZK.ZOO_PERM_ALL, scheme: 'auth', auth: '' },
  { perms: ZK.ZOO_PERM_READ, scheme: 'world', auth: 'anyone' },
];

/** One candidate node: where it is, which generation (its czxid), on which session. */
interface Candidate {
  readonly id: string;
  readonly path: string;
  readonly name: string;
  readonly token: bigint;
  readonly grant: LeaseGrant<ZkConnection>;
}

function isOurs(stat: NativeStat | undefined, candidate: Candidate): boolean {
  return (
    stat !== undefined && BigInt(stat.czxid) === candidate.token && stat.ephemeralOwner === candidate.grant.id.sessionId
  );
}

/**
 * An election on ZooKeeper, the classic recipe: one EPHEMERAL_SEQUENTIAL node per
 * candidate under `${chroot}/baton/${name}`; the lowest sequence leads; a waiting
 * candidate watches only its predecessor. The leader's token is its node's czxid, which
 * (unlike the sequence suffix) never restarts when the election node is recreated.
 */
export class ZooKeeperElection implements Election {
  readonly name: string;
  /** The election's node; candidates are its children. */
  readonly path: string;
  private readonly backend: ZooKeeperBackend;

  constructor(backend: ZooKeeperBackend, name: string) {
    this.backend = backend;
    this.name = name;
    this.path = electionPath(backend.chroot, name);
  }

  async campaign(options?: CampaignOptions): Promise<Leadership> {
    const { id, value, signal } = resolveCampaignOptions(options);
    const { scope, logger } = this.backend;
    scope.assertOpen();
    const stop = scope.link(signal);
    let failures = 0;
    for (;;) {
      if (stop.aborted) throw toAbortError(stop);
      let candidate: Candidate | undefined;
      try {
        const grant = await this.backend.grant(stop);
        candidate = await this.enqueue(grant, id, value, stop);
        if (!candidate) continue;
        // A session whose grant was slow may be near its deadline: renew it before handing out
        // a leadership that could otherwise run out before its first scheduled renewal.
        if ((await this.waitForTurn(candidate, stop)) && (await grant.lease.ensureRemaining(grant.lease.ttlMs / 2))) {
          const term = await this.startTerm(candidate, stop);
          if (term) return term;
        }
        await this.discard(candidate);
      } catch (error) {
        if (candidate) await this.discard(candidate);
        if (stop.aborted) throw toAbortError(stop);
        if (!isTransient(error)) throw toBatonError(error, 'campaign');
        logger.warn({ election: this.name, err: error }, 'campaign interrupted by a store failure; retrying');
        await sleep(backoffDelay(failures++, 100, Math.max(1_000, this.backend.ttlMs / 2)), stop).catch(() => {
          throw toAbortError(stop);
        });
      }
    }
  }

  async leader(): Promise<LeaderInfo | undefined> {
    const { scope } = this.backend;
    scope.assertOpen();
    try {
      const { id: connection } = await this.backend.grant(scope.signal);
      // A ZooKeeper server may lag behind the leader; sync makes this read see every write
      // the ensemble committed before it (sequential consistency plus sync, as Curator does).
      await connection.sync(this.path, scope.signal);
      return await this.readLeader(connection, scope.signal);
    } catch (error) {
      if (scope.signal.aborted) throw toAbortError(scope.signal);
      throw toBatonError(error, 'reading the leader');
    }
  }

  observe(options?: ObserveOptions): AsyncIterable<LeaderInfo | undefined> {
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidArgumentError('signal must be an AbortSignal');
    }
    const { scope, logger } = this.backend;
    scope.assertOpen();
    const stop = scope.link(signal);
    let notify: { changed: () => void; broken: (error: unknown) => void } | undefined;
    let attached: { connection: ZkConnection; detach: () => void } | undefined;
    const watches = new ArmedWatches(() => notify?.changed());
    const detach = (): void => {
      attached?.detach();
      attached = undefined;
      watches.clear();
    };
    return observeLeader(
      {
        // Every read arms one-shot watches on the children (who leads) and on the leader's
        // node (its value), those not already armed: the next change nudges the observer,
        // which reads again.
        read: async (readSignal) => {
          const { id: connection } = await this.backend.grant(readSignal);
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
          return this.readLeader(connection, readSignal, watches);
        },
        subscribe: async (changed, broken) => {
          notify = { changed, broken };
          return () => {
            notify = undefined;
            detach();
          };
        },
      },
      stop,
      logger,
    );
  }

  /** The lowest-sequence candidate; with `watches`, one-shot watches on the line and on the head's data. */
  private async readLeader(
    connection: ZkConnection,
    signal: AbortSignal,
    watches?: ArmedWatches,
  ): Promise<LeaderInfo | undefined> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const children = await watched(watches, `children:${this.path}`, (watch) =>
        connection.children(this.path, signal, watch),
      );
      if (children === undefined) {
        // No election node yet: watch for its creation (an exists watch stays on a missing
        // node), and read again if it just appeared.
        const appeared = await watched(
          watches,
          `exists:${this.path}`,
          (watch) => (watch ? connection.watchExists(this.path, watch, signal) : Promise.resolve(undefined)),
          true,
        );
        if (appeared) continue;
        return undefined;
      }
      const head = inLineOrder(children)[0];
      if (!head) return undefined;
      const path = `${this.path}/${head.name}`;
      const node = await watched(watches, `data:${path}`, (watch) => connection.get(path, signal, watch));
      // Gone between the two reads: the line changed, read it again.
      if (!node) continue;
      const record = decodeRecord(node.data, head.name);
      const token = BigInt(node.stat.czxid);
      return record.value === undefined ? { id: record.id, token } : { id: record.id, value: record.value, token };
    }
    throw new BackendUnavailableError('the leader kept changing while it was being read');
  }

  /** Creates our candidate node; undefined when the session turned out to be gone (then try a fresh one). */
  private async enqueue(
    grant: LeaseGrant<ZkConnection>,
    id: string,
    value: string | undefined,
    stop: AbortSignal,
  ): Promise<Candidate | undefined> {
    const connection = grant.id;
    const nonce = randomBytes(8).toString('hex');
    const prefix = candidatePrefix(this.path, nonce);
    let path: string;
    try {
      // Not cancelled by `stop`: a create cut short may still apply, so its outcome is awaited.
      path = await this.createCandidate(connection, prefix, encodeRecord(id, value));
    } catch (error) {
      if (hasCode(error, ZK.ZSESSIONEXPIRED)) {
        grant.lease.lose('expired');
        return undefined;
      }
      if (isTransient(error)) this.removeLost(grant, nonce);
      throw error;
    }
    connection.ownNodes.add(path);
    const name = path.slice(path.lastIndexOf('/') + 1);
    let stat: NativeStat | undefined;
    try {
      stat = await connection.exists(path, stop);
    } catch (error) {
      if (!(await this.discardPath(connection, path))) this.removeLost(grant, nonce);
      throw error;
    }
    if (!stat || stat.ephemeralOwner !== connection.sessionId) {
      // Deleted from outside already, or not on our session: start over with a new node.
      connection.ownNodes.delete(path);
      return undefined;
    }
    const candidate: Candidate = { id, path, name, token: BigInt(stat.czxid), grant };
    if (this.backend.authenticated) {
      try {
        await connection.setAcl(path, -1, PROTECTED_ACL, stop);
      } catch (error) {
        await this.discard(candidate);
        throw error;
      }
    }
    if (stop.aborted) {
      await this.discard(candidate);
      throw toAbortError(stop);
    }
    return candidate;
  }

  private async createCandidate(connection: ZkConnection, prefix: string, data: string): Promise<string> {
    try {
      return await connection.create(prefix, data, ZK.ZOO_EPHEMERAL_SEQUENTIAL);
    } catch (error) {
      if (!hasCode(error, ZK.ZNONODE)) throw error;
    }
    await this.ensureElectionNode(connection);
    return connection.create(prefix, data, ZK.ZOO_EPHEMERAL_SEQUENTIAL);
  }

  /** Creates the election node and its ancestors, persistent, and leaves them in place. */
  private async ensureElectionNode(connection: ZkConnection): Promise<void> {
    for (const path of ancestry(this.path)) {
      try {
        await connection.create(path, '', ZK.ZOO_PERSISTENT);
        if (path === this.path && this.backend.authenticated) await connection.setAcl(path, -1, PROTECTED_ACL);
      } catch (error) {
        if (!hasCode(error, ZK.ZNODEEXISTS)) throw error;
      }
    }
  }

  /**
   * The reply to a create was lost: the node may exist on our live session, and would one
   * day lead with nobody behind it. Find it by its nonce and delete it, retrying while the
   * session lives (once it ends, the server deletes the node anyway).
   */
  private removeLost(grant: LeaseGrant<ZkConnection>, nonce: string): void {
    const marker = `${NODE_PREFIX}${nonce}_`;
    const { logger } = this.backend;
    const { id: connection, lease } = grant;
    void (async () => {
      // Past the lease's deadline the session is being closed, which deletes the node.
      for (let attempt = 0; !connection.ended && lease.isValid; attempt++) {
        try {
          const children = (await connection.children(this.path)) ?? [];
          let removed = true;
          for (const child of children.filter((name) => name.startsWith(marker))) {
            removed = (await this.discardPath(connection, `${this.path}/${child}`)) && removed;
          }
          if (removed) return;
          await sleep(backoffDelay(attempt, 100, 1_000));
        } catch (error) {
          logger.debug({ election: this.name, err: error }, 'could not look for a node whose create reply was lost');
          await sleep(backoffDelay(attempt, 100, 1_000));
        }
      }
    })();
  }

  /**
   * Waits until no candidate precedes ours, watching only our predecessor (no herd). True
   * once it confirmed that our node still exists, owned by our live session; false when
   * the node or the session is gone.
   */
  private async waitForTurn(candidate: Candidate, stop: AbortSignal): Promise<boolean> {
    const { id: connection, lease } = candidate.grant;
    for (let failures = 0; ; ) {
      if (!lease.isValid) return false;
      try {
        const children = await connection.children(this.path, stop);
        const line = inLineOrder(children ?? []);
        const index = line.findIndex((child) => child.name === candidate.name);
        if (index < 0) return false;
        const predecessor = line[index - 1];
        if (!predecessor) {
          const own = await connection.exists(candidate.path, stop);
          return isOurs(own, candidate) && lease.isValid;
        }
        await this.waitForDelete(candidate.grant, `${this.path}/${predecessor.name}`, stop);
        failures = 0;
      } catch (error) {
        // A blip while the session lives (the client is moving to another server): our node
        // keeps its place in line; look again once the client is back. The lease decides
        // when the session is to be given up.
        if (stop.aborted || !isTransient(error) || !lease.isValid) throw error;
        await sleep(backoffDelay(failures++, 100, 1_000), stop);
      }
    }
  }

  /** Resolves when `path` is gone or may have changed, or our session is lost; rejects on abort. */
  private async waitForDelete(grant: LeaseGrant<ZkConnection>, path: string, stop: AbortSignal): Promise<void> {
    const woken = new AbortController();
    const wake = (): void => woken.abort();
    const unlost = grant.lease.onLost(wake);
    try {
      // A data watch: left only on a node that exists, so nothing lingers for a missing one.
      const node = await grant.id.get(path, stop, wake);
      if (!node) return;
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          woken.signal.removeEventListener('abort', onWake);
          reject(toAbortError(stop));
        };
        const onWake = (): void => {
          stop.removeEventListener('abort', onAbort);
          resolve();
        };
        if (stop.aborted) return onAbort();
        if (woken.signal.aborted) return onWake();
        stop.addEventListener('abort', onAbort, { once: true });
        woken.signal.addEventListener('abort', onWake, { once: true });
      });
    } finally {
      unlost();
    }
  }

  /** Removes a candidate node we gave up on, only if it is still ours; bounded, never throws. */
  private async discard(candidate: Candidate): Promise<void> {
    try {
      await this.deleteIfOurs(candidate);
    } catch (error) {
      this.backend.logger.debug(
        { election: this.name, err: error },
        'could not remove an abandoned candidate node; retrying while its session lives',
      );
      this.retryRemoval(candidate);
    }
  }

  /**
   * An abandoned node left on a live session would one day lead with nobody behind it,
   * and every later candidate would wait for it. Keep trying to delete it while the session
   * lives; once the session ends, the server deletes it.
   */
  private retryRemoval(candidate: Candidate): void {
    const { id: connection, lease } = candidate.grant;
    void (async () => {
      for (let attempt = 0; !connection.ended && lease.isValid; attempt++) {
        await sleep(backoffDelay(attempt, 100, 1_000));
        try {
          await this.deleteIfOurs(candidate);
          return;
        } catch (error) {
          this.backend.logger.debug(
            { election: this.name, err: error },
            'could not remove an abandoned candidate node',
          );
        }
      }
    })();
  }

  /** Deletes a node of ours by path (its nonce makes it unique); false when that could not be done. */
  private async discardPath(connection: ZkConnection, path: string): Promise<boolean> {
    try {
      const stat = await connection.exists(path);
      if (stat && stat.ephemeralOwner === connection.sessionId) await connection.delete(path, stat.version);
      connection.ownNodes.delete(path);
      return true;
    } catch (error) {
      if (hasCode(error, ZK.ZNONODE)) {
        connection.ownNodes.delete(path);
        return true;
      }
      this.backend.logger.debug({ election: this.name, err: error }, 'could not remove a candidate node');
      return false;
    }
  }

  /** A versioned delete of our node, only while it is still ours: never a successor's. */
  private async deleteIfOurs(candidate: Candidate, signal?: AbortSignal): Promise<void> {
    const connection = candidate.grant.id;
    // A session past its deadline is about to be closed, which deletes the node; a request
    // on it now could only find a dead socket.
    if (!candidate.grant.lease.isValid) return;
    for (let attempt = 0; attempt < 3; attempt++) {
      const stat = await connection.exists(candidate.path, signal);
      if (!isOurs(stat, candidate) || !stat) {
        connection.ownNodes.delete(candidate.path);
        return;
      }
      try {
        await connection.delete(candidate.path, stat.version, signal);
        connection.ownNodes.delete(candidate.path);
        return;
      } catch (error) {
        if (hasCode(error, ZK.ZNONODE)) {
          connection.ownNodes.delete(candidate.path);
          return;
        }
        // Our own concurrent proclaim moved the version on: look again.
        if (!hasCode(error, ZK.ZBADVERSION)) throw error;
      }
    }
  }

  /** Writes a new value onto our node, guarded by its czxid and owner, with a versioned set. */
  private async proclaim(candidate: Candidate, value: string, signal: AbortSignal): Promise<void> {
    const connection = candidate.grant.id;
    const deposed = (): LeadershipLostError => new LeadershipLostError('deposed', 'the leader node is no longer ours');
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!candidate.grant.lease.isValid) throw new LeadershipLostError('expired');
      let written: NativeStat;
      try {
        const stat = await connection.exists(candidate.path, signal);
        if (!isOurs(stat, candidate) || !stat) throw deposed();
        written = await connection.set(candidate.path, encodeRecord(candidate.id, value), stat.version, signal);
      } catch (error) {
        if (error instanceof LeadershipLostError) throw error;
        if (hasCode(error, ZK.ZNONODE)) throw deposed();
        if (hasCode(error, ZK.ZBADVERSION)) continue;
        throw toBatonError(error, 'proclaim');
      }
      if (!isOurs(written, candidate)) throw deposed();
      return;
    }
    throw new BackendUnavailableError('proclaim kept racing with other writes to the leader node');
  }

  /**
   * The leadership: a data watch on our node deposes it when the node is deleted (or found
   * not ours); the lease's loss ends it with the lease's reason; after a reconnect the node
   * is checked again. Undefined when the node turned out to be gone already.
   */
  private async startTerm(candidate: Candidate, stop: AbortSignal): Promise<LeadershipTerm | undefined> {
    const { scope, logger, requestTimeoutMs } = this.backend;
    const { grant, path } = candidate;
    const connection = grant.id;
    const term = new LeadershipTerm({
      election: this.name,
      id: candidate.id,
      token: candidate.token,
      logger,
      requestTimeoutMs,
      validUntil: () => grant.lease.deadline,
      actions: {
        proclaim: (value, signal) => this.proclaim(candidate, value, signal),
        release: async (signal) => {
          try {
            await this.deleteIfOurs(candidate, signal);
          } catch (error) {
            // The session outlives this term (other elections share it): do not leave the
            // node behind for the successors to wait on.
            this.retryRemoval(candidate);
            throw error;
          }
        },
      },
    });
    let live = true;
    const verify = async (): Promise<void> => {
      if (!live || !grant.lease.isValid) return;
      try {
        if (!isOurs(await connection.exists(path), candidate)) term.end('deposed');
      } catch (error) {
        // Connectivity is the lease's business; the next event or reconnect checks again.
        logger.debug({ election: this.name, err: error }, 'could not check the leader node');
      }
    };
    const arm = async (): Promise<boolean> => {
      const node = await connection.get(path, undefined, onWatch);
      if (!isOurs(node?.stat, candidate)) {
        term.end('deposed');
        return false;
      }
      return true;
    };
    const rearm = async (): Promise<void> => {
      for (let attempt = 0; live && grant.lease.isValid; attempt++) {
        try {
          await arm();
          return;
        } catch (error) {
          logger.debug({ election: this.name, err: error }, 'could not re-watch the leader node; retrying');
          await sleep(backoffDelay(attempt, 100, 1_000));
        }
      }
    };
    function onWatch(type: number): void {
      if (!live) return;
      if (type === ZK.ZOO_DELETED_EVENT) term.end('deposed');
      // A session event leaves the watch in place; any other event used it up.
      else if (type === ZK.ZOO_SESSION_EVENT) void verify();
      else void rearm();
    }
    try {
      if (!(await arm())) return undefined;
    } catch (error) {
      live = false;
      term.end('connection-lost', error);
      await term.settled();
      throw error;
    }
    const unlost = grant.lease.onLost((reason) => term.end(reason));
    const offReconnected = connection.onReconnected(() => void verify());
    term.onEnd(() => {
      live = false;
      unlost();
      offReconnected();
    });
    scope.track(term);
    if (scope.closed) throw new ClosedError();
    if (stop.aborted && !term.signal.aborted) {
      // Elected as the caller gave up: hand the leadership back rather than leak it.
      await term.resign();
      throw toAbortError(stop);
    }
    return term;
  }
}

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
