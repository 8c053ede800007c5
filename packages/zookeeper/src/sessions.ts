import {
  acceptGrantedTtl,
  BackendUnavailableError,
  InvalidArgumentError,
  type Lease,
  type LeaseGrant,
  type Logger,
  monotonicNow,
  Session,
} from '@baton/core/adapter';
import { type ConnectionOptions, ZkConnection } from './connection.js';
import { hasCode } from './errors.js';
import { ZK } from './native.js';

/** The smallest session timeout asked of the server, whatever ttl was requested. */
const MIN_ASKED_TIMEOUT_MS = 100;

export interface ZkSessionsOptions {
  readonly connection: ConnectionOptions;
  /** The ttl asked for; the server negotiates the session timeout in force. */
  readonly requestedTtlMs: number;
  /** Refuse a session timeout the server raised, instead of logging it. */
  readonly strictTtl: boolean;
  readonly onDisconnect: 'abort' | 'tolerate-until-deadline';
  readonly logger: Logger;
  /** Bound on opening a session. */
  readonly grantTimeoutMs: number;
  /** A native client the caller gave us, used for the first session only. */
  readonly adoptable: unknown;
  /** Aborted when the backend closes: cuts short the waits of a session being ended. */
  readonly closing: AbortSignal;
}

/**
 * The client's ZooKeeper sessions, modelled as core's Session<ZkConnection>: a grant opens a
 * client and waits for its session (the ttl is the session timeout the server negotiated), a
 * renewal is one cheap round trip (`exists /`) every ttl/3 whose reply proves the session was
 * alive when it was sent, and a revoke closes the client, which deletes its ephemeral nodes at
 * once. The C client's Disconnected feeds `lease.connectionLost()`, its Expired
 * `lease.lose('expired')`; after any loss the next campaign gets a brand-new client and
 * session, never the old nodes.
 */
export class ZkSessions {
  readonly session: Session<ZkConnection>;
  private readonly options: ZkSessionsOptions;
  private grantedTtlMs: number | undefined;
  private adoptable: unknown;
  private readonly wired = new WeakSet<Lease>();
  /** Every connection Baton opened that may still be open, with its lease once it has one. */
  private readonly opened = new Map<ZkConnection, Lease | undefined>();
  private readonly ending = new WeakMap<ZkConnection, Promise<void>>();

  constructor(options: ZkSessionsOptions) {
    this.options = options;
    this.adoptable = options.adoptable;
    this.session = new Session<ZkConnection>(
      {
        grant: async (_ttlMs, signal) => {
          const connection = await this.openConnection(signal);
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
        ttlMs: options.connection.sessionTimeoutMs,
        onDisconnect: options.onDisconnect,
        logger: options.logger,
        label: 'zookeeper',
        requestTimeoutMs: options.grantTimeoutMs,
      },
    );
  }

  /** The session timeout the server negotiated, once a session was granted. */
  get negotiatedTtlMs(): number | undefined {
    return this.grantedTtlMs;
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

  /** Ends the live session (its nodes go at once) and every connection still open. */
  async close(): Promise<void> {
    await this.session.close();
    this.retirePrevious();
  }

  private async openConnection(signal: AbortSignal): Promise<ZkConnection> {
    this.retirePrevious();
    // The C client takes whole milliseconds and times out its own handshake at 2/3 of the
    // timeout it asked for, so it asks for at least 100 ms; the server raises whatever is
    // below its own minimum (2 x tickTime).
    const asked = this.grantedTtlMs ?? Math.max(MIN_ASKED_TIMEOUT_MS, Math.ceil(this.options.requestedTtlMs));
    const options = { ...this.options.connection, sessionTimeoutMs: asked };
    if (this.adoptable !== undefined) {
      const client = this.adoptable;
      this.adoptable = undefined;
      let connection: ZkConnection;
      try {
        connection = await ZkConnection.adopt(client, options, signal);
      } catch (error) {
        if (error instanceof TypeError) throw new InvalidArgumentError(error.message, { cause: error });
        throw error;
      }
      this.acceptTimeout(connection);
      return connection;
    }
    const connection = await ZkConnection.open(options, signal);
    this.opened.set(connection, undefined);
    connection.onEnded(() => this.opened.delete(connection));
    this.acceptTimeout(connection);
    return connection;
  }

  /**
   * The server negotiates the session timeout into its [minSessionTimeout, maxSessionTimeout]
   * (by default 2 and 20 x tickTime): Baton's ttl policy decides whether that is accepted.
   * Once one is accepted, later sessions ask for it and get it again.
   */
  private acceptTimeout(connection: ZkConnection): void {
    const granted = connection.negotiatedTimeoutMs;
    if (granted === this.grantedTtlMs) return;
    try {
      this.grantedTtlMs = acceptGrantedTtl('zookeeper', this.options.requestedTtlMs, granted, this.options);
    } catch (error) {
      connection.close();
      throw error;
    }
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
    const { closing } = this.options;
    const ttlMs = connection.negotiatedTimeoutMs;
    // A server that stopped answering on an open socket: the C client's close would block
    // the event loop for 1.5 s waiting for the reply. Let it notice first (it does after
    // 2/3 of the session timeout without a reply); then closing it is instant.
    const unresponsive = connection.isConnected && monotonicNow() - connection.lastHeardAt > ttlMs / 2;
    if (!connection.ended && (!connection.isConnected || unresponsive) && !closing.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          offReconnected();
          offEnded();
          closing.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, unresponsive ? ttlMs : Math.min(1_000, ttlMs / 2));
        const offReconnected = unresponsive ? connection.onDisconnected(done) : connection.onReconnected(done);
        const offEnded = connection.onEnded(done);
        closing.addEventListener('abort', done, { once: true });
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
          this.options.logger.debug({ path, err: error }, 'could not delete a node of an adopted client');
        }
      }),
    );
    connection.close();
  }
}
