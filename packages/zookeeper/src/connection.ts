import {
  AuthError,
  BackendUnavailableError,
  backoffDelay,
  type Logger,
  monotonicNow,
  sleep,
  toAbortError,
} from '@baton/core/adapter';
import { hasCode, ZkError } from './errors.js';
import { Listeners } from './listeners.js';
import {
  isNativeClient,
  type NativeAcl,
  type NativeClient,
  type NativeStat,
  nativeClientClass,
  type WatchCallback,
  ZK,
} from './native.js';
import { stateOf, waitConnected } from './native-lifecycle.js';

/** Why a connection's session ended for good. */
export type ConnectionEnd = 'expired' | 'closed' | 'auth-failed';

export interface ConnectionOptions {
  /** `host:port` of every server; no chroot: Baton prefixes its paths itself. */
  readonly hosts: readonly string[];
  readonly sessionTimeoutMs: number;
  readonly digest: string | undefined;
  readonly requestTimeoutMs: number;
  /** How long one new client may take to get its session before it is replaced by another. */
  readonly connectAttemptMs: number;
  readonly logger: Logger;
}

export interface NodeData {
  readonly stat: NativeStat;
  readonly data: string;
}

/** See `open()`: how many reply-less socket events in a row the `zookeeper` package tolerates. */
const RESPONSE_COUNTER_LIMIT = 1_000_000;

/**
 * One ZooKeeper client and its session, as Baton uses it: every request bounded by a
 * timeout and cancellable, return codes turned into ZkError, and the session's life told
 * as three events: disconnected (the C client is looking for a server), reconnected (same
 * session, watches restored by the client), ended (expired, closed, auth failed; the
 * native client must not be touched after that, so every method refuses).
 */
export class ZkConnection {
  readonly client: NativeClient;
  /** False for a client the caller gave through `options.client`: Baton never closes it. */
  readonly owned: boolean;
  /** The session id, hex, as ZooKeeper prints it and as `ephemeralOwner` holds it. */
  readonly sessionId: string;
  readonly sessionPassword: string;
  /** The session timeout the server granted. */
  readonly negotiatedTimeoutMs: number;
  /** Nodes Baton created on this session and has not removed yet (for closing an adopted client's session). */
  readonly ownNodes = new Set<string>();
  private readonly options: ConnectionOptions;
  private connected = true;
  private heardAt = monotonicNow();
  private endReason: ConnectionEnd | undefined;
  private readonly disconnectedListeners = new Listeners<void>();
  private readonly reconnectedListeners = new Listeners<void>();
  private readonly endedListeners = new Listeners<ConnectionEnd>();
  private readonly onConnecting = (): void => {
    if (!this.connected || this.endReason) return;
    this.connected = false;
    this.options.logger.debug({ session: this.sessionId }, 'zookeeper connection lost; the client is reconnecting');
    this.disconnectedListeners.emit(undefined, this.options.logger);
  };
  private readonly onConnect = (): void => {
    if (this.connected || this.endReason) return;
    this.connected = true;
    this.heardAt = monotonicNow();
    this.options.logger.debug({ session: this.sessionId }, 'zookeeper connection restored');
    this.reconnectedListeners.emit(undefined, this.options.logger);
  };
  private readonly onClose = (...args: unknown[]): void => {
    const code = args[1];
    this.finish(
      code === ZK.ZOO_EXPIRED_SESSION_STATE ? 'expired' : code === ZK.ZOO_AUTH_FAILED_STATE ? 'auth-failed' : 'closed',
    );
  };

  private constructor(client: NativeClient, owned: boolean, options: ConnectionOptions) {
    this.client = client;
    this.owned = owned;
    this.options = options;
    this.sessionId = client.client_id;
    this.sessionPassword = client.client_password;
    this.negotiatedTimeoutMs = client.timeout;
    client.on('connecting', this.onConnecting);
    client.on('connect', this.onConnect);
    client.on('close', this.onClose);
  }

  /**
   * Opens a new client and waits for its session; `signal` aborting closes it. A client
   * that has not connected within `connectAttemptMs` is closed and replaced: the
   * `zookeeper` package stops driving a new client whose very first connect() fails at
   * once (a refused port: a stopped member listed first), so it would never try the next
   * server. Each attempt starts at the next server of the list (from a random one), so that
   * a dead member is never first twice in a row.
   */
  static async open(options: ConnectionOptions, signal: AbortSignal): Promise<ZkConnection> {
    const Client = nativeClientClass();
    const { hosts } = options;
    const offset = Math.floor(Math.random() * hosts.length);
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw toAbortError(signal);
      const first = (offset + attempt) % hosts.length;
      const client = new Client({
        connect: [...hosts.slice(first), ...hosts.slice(0, first)].join(','),
        timeout: options.sessionTimeoutMs,
        // 0 silences the C client, which would otherwise log every lost connection to stderr.
        debug_level: 0,
        host_order_deterministic: true,
        // The package closes a client as if its session had expired after 10 consecutive
        // socket events that completed no reply (a guard against a busy loop). Reconnect
        // attempts to a dead member of an ensemble produce such events by the dozen, and
        // would end a healthy session within milliseconds. A spinning client still gets closed.
        response_counter_limit: RESPONSE_COUNTER_LIMIT,
      });
      const attemptController = new AbortController();
      let stateAtTimeout: number | 'closed' | undefined;
      const timer = setTimeout(() => {
        stateAtTimeout = stateOf(client);
        attemptController.abort(new BackendUnavailableError('no ZooKeeper session within the attempt'));
      }, options.connectAttemptMs);
      const onAbort = (): void => attemptController.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await waitConnected(client, attemptController.signal, true);
      } catch (error) {
        if (signal.aborted) throw toAbortError(signal);
        if (error instanceof AuthError) throw error;
        options.logger.debug(
          { attempt, firstServer: hosts[first], state: stateAtTimeout, err: error },
          'no ZooKeeper session yet; trying again with a new client',
        );
        await sleep(backoffDelay(attempt, 50, 500), signal);
        continue;
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      }
      const connection = new ZkConnection(client, true, options);
      try {
        if (options.digest !== undefined) await connection.addAuth('digest', options.digest, signal);
        return connection;
      } catch (error) {
        connection.close();
        throw error;
      }
    }
  }

  /** Uses a client the caller made; waits for it to connect if it is still connecting. */
  static async adopt(client: unknown, options: ConnectionOptions, signal: AbortSignal): Promise<ZkConnection> {
    if (!isNativeClient(client)) {
      throw new TypeError('options.client must be a client of the zookeeper package');
    }
    if (client.state !== ZK.ZOO_CONNECTED_STATE) await waitConnected(client, signal, false);
    const connection = new ZkConnection(client, false, options);
    if (options.digest !== undefined) await connection.addAuth('digest', options.digest, signal);
    return connection;
  }

  /** The session id, so that core's logs name the session (`zookeeper:0x...`). */
  toString(): string {
    return `0x${this.sessionId}`;
  }

  get isConnected(): boolean {
    return this.connected && this.endReason === undefined;
  }

  /** Monotonic time of the last reply from the server (a request's outcome, or the session's start). */
  get lastHeardAt(): number {
    return this.heardAt;
  }

  get ended(): ConnectionEnd | undefined {
    return this.endReason;
  }

  onDisconnected(listener: () => void): () => void {
    return this.disconnectedListeners.add(listener);
  }

  onReconnected(listener: () => void): () => void {
    return this.reconnectedListeners.add(listener);
  }

  /** Calls `listener` once when the session ends (at once if it has). */
  onEnded(listener: (reason: ConnectionEnd) => void): () => void {
    if (this.endReason) {
      listener(this.endReason);
      return () => {};
    }
    return this.endedListeners.add(listener);
  }

  /**
   * Ends the session: the server deletes its ephemeral nodes at once. An adopted client is
   * only let go of (its listeners removed), never closed.
   */
  close(): void {
    if (this.endReason) return;
    this.finish('closed');
    if (this.owned) {
      try {
        this.client.close();
      } catch (error) {
        this.options.logger.debug({ err: error }, 'closing the zookeeper client failed');
      }
    }
  }

  create(path: string, data: string, flags: number, signal?: AbortSignal): Promise<string> {
    return this.request<string>('create', signal, (done) =>
      this.client.a_create(path, data, flags, (rc, error, created) => done(rc, error, created)),
    );
  }

  /** The node's stat, or undefined when it does not exist. */
  async exists(path: string, signal?: AbortSignal): Promise<NativeStat | undefined> {
    try {
      return await this.request<NativeStat>('exists', signal, (done) =>
        this.client.a_exists(path, false, (rc, error, stat) => done(rc, error, stat)),
      );
    } catch (error) {
      if (hasCode(error, ZK.ZNONODE)) return undefined;
      throw error;
    }
  }

  /**
   * Stat and data of a node, or undefined when it does not exist. With `watch`, a one-shot
   * data watch is left on an existing node (none on a missing one: a get does not watch for
   * creation, so nothing lingers in the server for a node that never comes back).
   */
  async get(path: string, signal?: AbortSignal, watch?: WatchCallback): Promise<NodeData | undefined> {
    try {
      return await this.request<NodeData>('get', signal, (done) => {
        const callback = (rc: number, error: string, stat: NativeStat, data: Buffer | string | null): void =>
          done(rc, error, { stat, data: data === null ? '' : data.toString() });
        return watch ? this.client.aw_get(path, watch, callback) : this.client.a_get(path, false, callback);
      });
    } catch (error) {
      if (hasCode(error, ZK.ZNONODE)) return undefined;
      throw error;
    }
  }

  /** Stat of a node with an exists watch, which also fires when a missing node is created. */
  async watchExists(path: string, watch: WatchCallback, signal?: AbortSignal): Promise<NativeStat | undefined> {
    try {
      return await this.request<NativeStat>('exists', signal, (done) =>
        this.client.aw_exists(path, watch, (rc, error, stat) => done(rc, error, stat)),
      );
    } catch (error) {
      if (hasCode(error, ZK.ZNONODE)) return undefined;
      throw error;
    }
  }

  /** Children of a node, or undefined when it does not exist; with `watch`, a one-shot child watch. */
  async children(path: string, signal?: AbortSignal, watch?: WatchCallback): Promise<string[] | undefined> {
    try {
      return await this.request<string[]>('get_children', signal, (done) => {
        const callback = (rc: number, error: string, children: string[]): void => done(rc, error, children);
        return watch
          ? this.client.aw_get_children(path, watch, callback)
          : this.client.a_get_children(path, false, callback);
      });
    } catch (error) {
      if (hasCode(error, ZK.ZNONODE)) return undefined;
      throw error;
    }
  }

  set(path: string, data: string, version: number, signal?: AbortSignal): Promise<NativeStat> {
    return this.request<NativeStat>('set', signal, (done) =>
      this.client.a_set(path, data, version, (rc, error, stat) => done(rc, error, stat)),
    );
  }

  delete(path: string, version: number, signal?: AbortSignal): Promise<void> {
    return this.request<void>('delete', signal, (done) =>
      this.client.a_delete_(path, version, (rc, error) => done(rc, error, undefined)),
    );
  }

  setAcl(path: string, version: number, acl: readonly NativeAcl[], signal?: AbortSignal): Promise<void> {
    return this.request<void>('set_acl', signal, (done) =>
      this.client.a_set_acl(path, version, acl, (rc, error) => done(rc, error, undefined)),
    );
  }

  /** Makes the server this client talks to catch up with the leader before the next read. */
  sync(path: string, signal?: AbortSignal): Promise<void> {
    return this.request<void>('sync', signal, (done) =>
      this.client.a_sync(path, (rc, error) => done(rc, error, undefined)),
    );
  }

  addAuth(scheme: string, auth: string, signal?: AbortSignal): Promise<void> {
    return this.request<void>('add_auth', signal, (done) =>
      this.client.add_auth(scheme, auth, (rc, error) => done(rc, error, undefined)),
    ).catch((error: unknown) => {
      throw hasCode(error, ZK.ZAUTHFAILED)
        ? new AuthError('ZooKeeper refused the credentials', { cause: error })
        : error;
    });
  }

  private request<T>(
    what: string,
    signal: AbortSignal | undefined,
    start: (done: (rc: number, error: string, value: T) => void) => number,
  ): Promise<T> {
    if (this.endReason) {
      return Promise.reject(
        new ZkError(this.endReason === 'expired' ? ZK.ZSESSIONEXPIRED : ZK.ZCLOSING, what, `session ${this.endReason}`),
      );
    }
    if (signal?.aborted) return Promise.reject(toAbortError(signal));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | undefined, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value as T);
      };
      const onAbort = (): void => settle(toAbortError(signal as AbortSignal));
      // The C client fails requests on a lost connection only when it notices; a server that
      // stops answering is noticed after 2/3 of the session timeout. Never wait longer than this.
      const timer = setTimeout(
        () =>
          settle(
            new BackendUnavailableError(
              `ZooKeeper ${what} did not complete within ${this.options.requestTimeoutMs} ms`,
            ),
          ),
        this.options.requestTimeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      let rc: number;
      try {
        rc = start((code, error, value) => {
          if (code !== ZK.ZCONNECTIONLOSS && code !== ZK.ZOPERATIONTIMEOUT && code !== ZK.ZCLOSING) {
            this.heardAt = monotonicNow();
          }
          if (code === ZK.ZOK) settle(undefined, value);
          else settle(new ZkError(code, what, error));
        });
      } catch (error) {
        settle(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (typeof rc === 'number' && rc !== ZK.ZOK) settle(new ZkError(rc, what, 'refused by the client'));
    });
  }

  private finish(reason: ConnectionEnd): void {
    if (this.endReason) return;
    this.endReason = reason;
    this.connected = false;
    this.client.removeListener('connecting', this.onConnecting);
    this.client.removeListener('connect', this.onConnect);
    this.client.removeListener('close', this.onClose);
    this.disconnectedListeners.clear();
    this.reconnectedListeners.clear();
    this.endedListeners.emit(reason, this.options.logger);
    this.endedListeners.clear();
  }
}
