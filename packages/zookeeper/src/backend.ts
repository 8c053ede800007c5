import {
  BackendBase,
  BackendUnavailableError,
  type Capabilities,
  type ResolvedBackendOptions,
  requestTimeoutFor,
} from '@baton/core/adapter';
import { zookeeperCapabilities } from './capabilities.js';
import type { ZooKeeperElectionContext } from './context.js';
import { ZooKeeperElection } from './election.js';
import { toBatonError } from './errors.js';
import { unreachableHosts } from './reachability.js';
import { ZkSessions } from './sessions.js';
import type { ZooKeeperUrl } from './url.js';

/**
 * A client of one ZooKeeper ensemble: one session at a time (see ZkSessions), shared by
 * all its elections.
 */
export class ZooKeeperBackend extends BackendBase<ZooKeeperElection> {
  readonly kind = 'zookeeper';
  /** Root of Baton's nodes: the URL's chroot, '' for none. */
  readonly chroot: string;
  private readonly requestedTtlMs: number;
  private readonly sessions: ZkSessions;
  private readonly context: ZooKeeperElectionContext;

  constructor(url: ZooKeeperUrl, options: ResolvedBackendOptions) {
    super();
    this.chroot = url.chroot;
    this.requestedTtlMs = options.ttlMs;
    const requestTimeoutMs = requestTimeoutFor(options.ttlMs);
    this.sessions = new ZkSessions({
      connection: {
        hosts: url.hosts,
        sessionTimeoutMs: options.ttlMs,
        digest: url.digest,
        requestTimeoutMs,
        // Long enough for a loaded ensemble to create a session (a quorum write), short
        // enough to move on from a client stuck on a dead server (see ZkConnection.open).
        connectAttemptMs: Math.min(5_000, Math.max(1_500, options.ttlMs * 0.75)),
        logger: options.logger,
      },
      requestedTtlMs: options.ttlMs,
      strictTtl: options.strictTtl,
      onDisconnect: options.onDisconnect,
      logger: options.logger,
      grantTimeoutMs: Math.max(options.connectTimeoutMs, requestTimeoutMs),
      adoptable: options.client,
      closing: this.scope.signal,
    });
    const sessions = this.sessions;
    const backend = this;
    this.context = {
      scope: this.scope,
      logger: options.logger,
      get ttlMs() {
        return backend.ttlMs;
      },
      requestTimeoutMs,
      chroot: url.chroot,
      authenticated: url.digest !== undefined,
      grant: (signal) => sessions.grant(signal),
    };
  }

  /** The session timeout in force: what the server negotiated (the requested ttl until connected). */
  get ttlMs(): number {
    return this.sessions.negotiatedTtlMs ?? this.requestedTtlMs;
  }

  get capabilities(): Capabilities {
    return zookeeperCapabilities(this.ttlMs, this.sessions.negotiatedTtlMs);
  }

  /** The hex id of this client's live ZooKeeper session, if it has one (for operators and test hooks). */
  get sessionId(): string | undefined {
    return this.sessions.session.peek()?.id.sessionId;
  }

  /** The hex password of this client's live session (test hooks use it to expire the session from outside). */
  get sessionPassword(): string | undefined {
    return this.sessions.session.peek()?.id.sessionPassword;
  }

  /** Connects for `connect()`: the first session, and a read of the chroot that checks the credentials. */
  async start(signal: AbortSignal): Promise<void> {
    const { id: connection } = await this.sessions.grant(signal);
    await connection.exists(this.chroot === '' ? '/' : this.chroot, signal);
  }

  protected createElection(name: string): ZooKeeperElection {
    return new ZooKeeperElection(this.context, name);
  }

  protected finalize(): Promise<void> {
    return this.sessions.close();
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
  const started = backend.start(signal);
  started.catch(() => undefined); // settled below, or made moot by a failed reachability check
  try {
    // The caller's own client is theirs to point somewhere; Baton's own hosts are checked.
    await (options.client === undefined
      ? Promise.race([started, failWhenNoHostAnswers(url.hosts, options.connectTimeoutMs)])
      : started);
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

/** Rejects when every host refuses or cannot be resolved; never settles otherwise. */
async function failWhenNoHostAnswers(hosts: readonly string[], connectTimeoutMs: number): Promise<never> {
  const unreachable = await unreachableHosts(hosts, Math.min(1_000, connectTimeoutMs));
  if (unreachable === undefined) return new Promise<never>(() => undefined);
  const causes = unreachable.map(({ host, cause }) => `${host} (${cause})`).join(', ');
  throw new BackendUnavailableError(`no ZooKeeper server reachable: ${causes}`);
}
