import {
  type Backend,
  BackendUnavailableError,
  type Capabilities,
  ClientScope,
  type Election,
  InvalidArgumentError,
  type Lease,
  type LeaseGrant,
  type Logger,
  monotonicNow,
  type ResolvedBackendOptions,
  Session,
  validateElectionName,
} from '@baton/core';
import { zookeeperCapabilities } from './capabilities.js';
import { type ConnectionOptions, ZkConnection } from './connection.js';
import { ZooKeeperElection } from './election.js';
import { hasCode, toBatonError } from './errors.js';
import { ZK } from './native.js';
import type { ZooKeeperUrl } from './url.js';

/** Bound on one store round trip: the ttl, within [1 s, 5 s]. */
function requestTimeoutFor(ttlMs: number): number {
  return Math.min(5_000, Math.max(1_000, ttlMs));
}

/**
 * A client of one ZooKeeper ensemble. The session lives in the C client; Baton models it
 * as core's Session<ZkConnection>: a grant opens a client and waits for its session (the
 * ttl is the session timeout the server negotiated), a renewal is one cheap round trip
 * (`exists /`) every ttl/3 whose reply proves the session was alive when it was sent, and
 * a revoke closes the client, which deletes its ephemeral nodes at once. The C client's
 * Disconnected feeds `lease.connectionLost()`, its Expired `lease.lose('expired')`; after
 * any loss the next campaign gets a brand-new client and session, never the old nodes.
 */
export class ZooKeeperBackend implements Backend {
  readonly kind = 'zookeeper';
  /** Root of Baton's nodes: the URL's chroot, '' for none. */
  readonly chroot: string;
  readonly scope = new ClientScope();
  readonly session: Session<ZkConnection>;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  /** Whether the URL carried digest credentials (then election nodes are protected by ACLs). */
  readonly authenticated: boolean;
  private readonly requestedTtlMs: number;
  private grantedTtlMs: number | undefined;
  private readonly connectionOptions: ConnectionOptions;
  private adoptable: unknown;
  private readonly wired = new WeakSet<Lease>();
  /** Every connection Baton opened that may still be open, with its lease once it has one. */
  private readonly opened = new Map<ZkConnection, Lease | undefined>();
  private readonly ending = new WeakMap<ZkConnection, Promise<void>>();

  constructor(url: ZooKeeperUrl, options: ResolvedBackendOptions) {
    this.chroot = url.chroot;
    this.logger = options.logger;
    this.requestedTtlMs = options.ttlMs;
    this.authenticated = url.digest !== undefined;
    this.adoptable = options.client;
    this.requestTimeoutMs = requestTimeoutFor(options.ttlMs);
    this.connectionOptions = {
      hosts: url.hosts,
      sessionTimeoutMs: options.ttlMs,
      digest: url.digest,
      requestTimeoutMs: this.requestTimeoutMs,
      // Long enough for a loaded ensemble to create a session (a quorum write), short
      // enough to move on from a client stuck on a dead server (see ZkConnection.open).
      connectAttemptMs: Math.min(5_000, Math.max(1_500, options.ttlMs * 0.75)),
      logger: options.logger,
    };
    this.session = new Session<ZkConnection>(
      {
        grant: async (ttlMs, signal) => {
          const connection = await this.openConnection(ttlMs, signal);
          this.grantedTtlMs = connection.negotiatedTimeoutMs;
          return { id: connection, ttlMs: connection.negotiatedTimeoutMs };
        },
        renew: async (connection, signal) => {
          if (connection.ended) {
            return { kind: 'lost', reason: connection.ended === 'expired' ? 'expired' : 'connection-lost' };
          }
          try {
            await connection.exists('/', signal);
            return { kind: 'renewed', ttlMs: connection.negotiatedTimeoutMs };
          } catch (error) {
            if (hasCode(error, ZK.ZSESSIONEXPIRED) || connection.ended === 'expired') {
              return { kind: 'lost', reason: 'expired' };
            }
            throw error;
          }
        },
        revoke: (connection) => this.endSession(connection),
      },
      {
        ttlMs: options.ttlMs,
        onDisconnect: options.onDisconnect,
        logger: options.logger,
        label: 'zookeeper',
        requestTimeoutMs: Math.max(options.connectTimeoutMs, this.requestTimeoutMs),
      },
    );
  }

  /** The session timeout in force: what the server negotiated (the requested ttl until connected). */
  get ttlMs(): number {
    return this.grantedTtlMs ?? this.requestedTtlMs;
  }

  get capabilities(): Capabilities {
    return zookeeperCapabilities(this.ttlMs, this.grantedTtlMs);
  }

  /** The hex id of this client's live ZooKeeper session, if it has one (for operators and test hooks). */
  get sessionId(): string | undefined {
    return this.session.peek()?.id.sessionId;
  }

  /** The hex password of this client's live session (test hooks use it to expire the session from outside). */
  get sessionPassword(): string | undefined {
    return this.session.peek()?.id.sessionPassword;
  }

  election(name: string): Election {
    validateElectionName(name);
    this.scope.assertOpen();
    return new ZooKeeperElection(this, name);
  }

  /**
   * The live session, or a new one, with the C client's connection events wired to its
   * lease: Disconnected is a lost connection (the onDisconnect policy decides), Expired
   * is the lease lost. Whatever ends the lease ends the session for good.
   */
  async grant(signal: AbortSignal): Promise<LeaseGrant<ZkConnection>> {
    const grant = await this.session.current(signal);
    const { id: connection, lease } = grant;
    if (!this.wired.has(lease)) {
      this.wired.add(lease);
      if (this.opened.has(connection)) this.opened.set(connection, lease);
      const offDisconnected = connection.onDisconnected(() =>
        lease.connectionLost(new BackendUnavailableError('the connection to ZooKeeper was lost')),
      );
      const offEnded = connection.onEnded((reason) =>
        lease.lose(reason === 'expired' ? 'expired' : 'connection-lost', new Error(`ZooKeeper session ${reason}`)),
      );
      lease.onLost(() => {
        offDisconnected();
        offEnded();
        void this.endSession(connection);
      });
      if (!connection.isConnected && lease.lost === undefined) {
        lease.connectionLost(new BackendUnavailableError('the connection to ZooKeeper was lost'));
      }
    }
    return grant;
  }

  close(): Promise<void> {
    return this.scope.close(async () => {
      await this.session.close();
      this.retirePrevious();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Connects for `connect()`: the first session, and a read of the chroot that checks the credentials. */
  async start(signal: AbortSignal): Promise<void> {
    const { id: connection } = await this.grant(signal);
    await connection.exists(this.chroot === '' ? '/' : this.chroot, signal);
  }

  private async openConnection(ttlMs: number, signal: AbortSignal): Promise<ZkConnection> {
    this.retirePrevious();
    const options = { ...this.connectionOptions, sessionTimeoutMs: ttlMs };
    if (this.adoptable !== undefined) {
      const client = this.adoptable;
      this.adoptable = undefined;
      try {
        return await ZkConnection.adopt(client, options, signal);
      } catch (error) {
        if (error instanceof TypeError) throw new InvalidArgumentError(error.message, { cause: error });
        throw error;
      }
    }
    const connection = await ZkConnection.open(options, signal);
    this.opened.set(connection, undefined);
    connection.onEnded(() => this.opened.delete(connection));
    if (connection.negotiatedTimeoutMs !== ttlMs) {
      connection.close();
      throw new InvalidArgumentError(
        `ttlMs ${ttlMs} is outside what the ZooKeeper server allows: it granted a session timeout of ` +
          `${connection.negotiatedTimeoutMs} ms (its minSessionTimeout and maxSessionTimeout, by default 2 and 20 x tickTime)`,
      );
    }
    return connection;
  }

  /**
   * A new session is granted only once the previous one's lease is no longer valid (past
   * its deadline, or lost): end that session before opening the next. Besides freeing it,
   * this matters to the native client, whose poll handle outlives its socket until its
   * next event-loop turn: a second client handed the same file descriptor meanwhile
   * aborts the process (uv_poll_start on a closing handle).
   */
  private retirePrevious(): void {
    for (const [connection, lease] of this.opened) {
      if (lease && lease.lost === undefined)
        lease.lose(monotonicNow() >= lease.deadline ? 'expired' : 'connection-lost');
      connection.close();
    }
    this.opened.clear();
  }

  /**
   * Ends a session Baton gave up on: closing the client deletes its ephemeral nodes at
   * once. A client the caller gave us is not ours to close: delete our nodes on it instead.
   */
  private endSession(connection: ZkConnection): Promise<void> {
    let ending = this.ending.get(connection);
    if (!ending) {
      ending = connection.owned ? this.closeOwned(connection) : this.releaseAdopted(connection);
      this.ending.set(connection, ending);
    }
    return ending;
  }

  /**
   * The C client sends closeSession only while connected; closed while it looks for a
   * server, it leaves the session (and the nodes) to expire after the ttl. The leadership
   * is already over, so waiting a moment for the reconnect costs nothing and spares the
   * successors that ttl. Every wait is bounded, and close() and the next grant cut it short.
   */
  private async closeOwned(connection: ZkConnection): Promise<void> {
    // A server that stopped answering on an open socket: the C client's close would block
    // the event loop for 1.5 s waiting for the reply. Let it notice first (it does after
    // 2/3 of the session timeout without a reply); then closing it is instant.
    const unresponsive = connection.isConnected && monotonicNow() - connection.lastHeardAt > this.ttlMs / 2;
    if (!connection.ended && (!connection.isConnected || unresponsive) && !this.scope.closed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          offReconnected();
          offEnded();
          this.scope.signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, unresponsive ? this.ttlMs : Math.min(1_000, this.ttlMs / 2));
        const offReconnected = unresponsive ? connection.onDisconnected(done) : connection.onReconnected(done);
        const offEnded = connection.onEnded(done);
        this.scope.signal.addEventListener('abort', done, { once: true });
      });
    }
    connection.close();
  }

  private async releaseAdopted(connection: ZkConnection): Promise<void> {
    const nodes = [...connection.ownNodes];
    connection.ownNodes.clear();
    await Promise.allSettled(
      nodes.map(async (path) => {
        try {
          const stat = await connection.exists(path);
          if (stat && stat.ephemeralOwner === connection.sessionId) await connection.delete(path, stat.version);
        } catch (error) {
          this.logger.debug({ path, err: error }, 'could not delete a node of an adopted client');
        }
      }),
    );
    connection.close();
  }
}

/**
 * Opens a backend: the first session (whose negotiated timeout must be the ttl asked
 * for) and a read of the chroot. `signal` aborting closes what was opened.
 */
export async function openZooKeeperBackend(
  url: ZooKeeperUrl,
  options: ResolvedBackendOptions,
  signal: AbortSignal,
): Promise<ZooKeeperBackend> {
  const backend = new ZooKeeperBackend(url, options);
  const onAbort = (): void => {
    backend.close().catch(() => undefined);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await backend.start(signal);
    if (signal.aborted) throw signal.reason;
    return backend;
  } catch (error) {
    await backend.close().catch(() => undefined);
    if (signal.aborted) throw signal.reason;
    throw toBatonError(error, 'connect');
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
