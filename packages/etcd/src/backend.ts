import {
  type Backend,
  type Capabilities,
  ClientScope,
  type Election,
  InvalidArgumentError,
  type Logger,
  type ResolvedBackendOptions,
  Session,
  validateElectionName,
} from '@baton/core';
import { ConsecutiveBreaker, circuitBreaker, handleWhen, noop, retry } from 'cockatiel';
import etcd3, { type Etcd3, type IOptions } from 'etcd3';
import { effectiveTtlMs, etcdCapabilities } from './capabilities.js';
import { EtcdElection } from './election.js';
import { isLeaseNotFound, toBatonError } from './errors.js';
import { EtcdStore } from './store.js';
import type { EtcdUrl } from './url.js';
import { WatchRegistry } from './watch.js';

/** Bound on one store round trip: the ttl, within [1 s, 5 s]. */
function requestTimeoutFor(ttlMs: number): number {
  return Math.min(5_000, Math.max(1_000, ttlMs));
}

/**
 * A client of one etcd cluster. One lease per client, shared by all its elections and
 * renewed at ttl/3 by core's Session, with a local deadline that never outlives the
 * lease in the store; candidate keys live on that lease.
 */
export class EtcdBackend implements Backend {
  readonly kind = 'etcd';
  readonly capabilities: Capabilities;
  /** The lease ttl in force: the requested ttl rounded up to whole seconds, never below the server's minimum. */
  readonly ttlMs: number;
  /** Root of this client's keys (`?prefix=`, default `/baton`). */
  readonly prefix: string;
  readonly logger: Logger;
  /** @internal The machinery EtcdElection shares; not a stable API. */
  readonly scope = new ClientScope();
  /** @internal */
  readonly session: Session<string>;
  /** @internal */
  readonly store: EtcdStore;
  /** @internal */
  readonly watches: WatchRegistry;
  private readonly etcd: Etcd3;
  private readonly ownsClient: boolean;
  private seq = 0;

  constructor(
    client: Etcd3,
    ownsClient: boolean,
    url: Pick<EtcdUrl, 'prefix' | 'hosts'>,
    options: ResolvedBackendOptions,
    minTtlMs: number,
  ) {
    this.etcd = client;
    this.ownsClient = ownsClient;
    this.prefix = url.prefix;
    this.logger = options.logger;
    this.ttlMs = effectiveTtlMs(options.ttlMs, minTtlMs);
    this.capabilities = etcdCapabilities(options.ttlMs, minTtlMs);
    const requestTimeoutMs = requestTimeoutFor(this.ttlMs);
    this.store = new EtcdStore(client, requestTimeoutMs);
    this.watches = new WatchRegistry(client);
    const store = this.store;
    // One attempt per member, plus one: the pool picks members at random.
    const renewAttempts = Math.min(6, url.hosts.length + 1);
    this.session = new Session<string>(
      {
        grant: async (ttlMs, signal) => {
          const granted = await store.grantLease(Math.ceil(ttlMs / 1_000), signal);
          return { id: granted.id, ttlMs: granted.ttlSeconds * 1_000 };
        },
        renew: async (id, signal) => {
          // A member that refuses the connection is not the cluster being gone: the etcd3 pool
          // marks it failed, and the next attempt goes to another member. A member that hangs
          // uses up the signal (the local deadline) instead, and that is a lost connection.
          for (let attempt = 1; ; attempt++) {
            try {
              const ttlSeconds = await store.keepAliveOnce(id, signal);
              return ttlSeconds > 0
                ? { kind: 'renewed', ttlMs: ttlSeconds * 1_000 }
                : { kind: 'lost', reason: 'expired' };
            } catch (error) {
              if (isLeaseNotFound(error)) return { kind: 'lost', reason: 'expired' };
              if (signal.aborted || attempt >= renewAttempts) throw error;
              this.logger.debug({ lease: id, attempt, err: error }, 'keepalive failed; trying another member');
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
      },
      {
        ttlMs: this.ttlMs,
        onDisconnect: options.onDisconnect,
        logger: options.logger,
        label: 'etcd',
        requestTimeoutMs,
      },
    );
  }

  /** The id (decimal, as etcd prints it) of this client's live lease, if it holds one. For operators and test hooks. */
  get leaseId(): string | undefined {
    return this.session.peek()?.id;
  }

  /** The etcd3 client this backend talks through. */
  get client(): Etcd3 {
    return this.etcd;
  }

  /** A fresh per-candidate suffix, so that one client can run several candidates in one election. */
  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  election(name: string): Election {
    validateElectionName(name);
    this.scope.assertOpen();
    return new EtcdElection(this, name);
  }

  close(): Promise<void> {
    return this.scope.close(async () => {
      const confirmed = await this.watches.closeAll(this.store.requestTimeoutMs);
      await this.session.close();
      if (this.ownsClient) {
        if (!confirmed) this.watches.dropStream();
        this.etcd.close();
      }
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

/**
 * How soon the etcd3 client re-opens a broken watch stream: 100 ms doubling to 1 s, jittered.
 * Its default grows to 30 s, longer than any ttl an observer would wait through.
 */
function watchBackoff(attempt = 0): WatchBackoff {
  const base = attempt === 0 ? 0 : Math.min(1_000, 50 * 2 ** attempt);
  return { duration: base * (0.5 + Math.random() / 2), next: () => watchBackoff(attempt + 1) };
}

/**
 * How the etcd3 client spreads calls over members. Its defaults refuse every call to a member
 * for 5 s after three failures (a circuit breaker) and retry each call three times: with one
 * member, a store that comes back after a restart or a freeze is refused for up to 5 s, and
 * the leases' deadlines, not a breaker the user never configured, are to decide. So: with one
 * member no breaker and no retry (Baton's own loops retry); with several, a failed call moves
 * on to the next member once, and a failing member is skipped for at most 500 ms.
 */
export function faultHandling(hostCount: number): NonNullable<IOptions['faultHandling']> {
  if (hostCount <= 1) return { host: () => noop, global: noop, watchBackoff: watchBackoff() };
  const recoverable = handleWhen(etcd3.isRecoverableError);
  return {
    host: () => circuitBreaker(recoverable, { halfOpenAfter: 500, breaker: new ConsecutiveBreaker(3) }),
    global: retry(recoverable, { maxAttempts: hostCount - 1 }),
    watchBackoff: watchBackoff(),
  };
}

/** The etcd3 client for a URL, when the caller did not bring one. */
export function createClient(url: EtcdUrl, options: ResolvedBackendOptions): Etcd3 {
  return new etcd3.Etcd3({
    hosts: [...url.hosts],
    ...(url.auth ? { auth: { username: url.auth.username, password: url.auth.password } } : {}),
    dialTimeout: options.connectTimeoutMs,
    faultHandling: faultHandling(url.hosts.length),
  });
}

/** Accepts `options.client` only if it is an un-namespaced etcd3 client (Baton lays out its own keys). */
export function asEtcdClient(client: unknown): Etcd3 {
  if (typeof client !== 'object' || client === null) {
    throw new InvalidArgumentError('options.client must be an Etcd3 instance from the etcd3 package');
  }
  const candidate = client as Partial<Etcd3> & { prefix?: unknown };
  if (
    typeof candidate.watch !== 'function' ||
    typeof candidate.close !== 'function' ||
    typeof candidate.kv !== 'object' ||
    typeof candidate.leaseClient !== 'object'
  ) {
    throw new InvalidArgumentError('options.client must be an Etcd3 instance from the etcd3 package');
  }
  if (Buffer.isBuffer(candidate.prefix) && candidate.prefix.length > 0) {
    throw new InvalidArgumentError('options.client must not be a namespace; give the key prefix as ?prefix= instead');
  }
  return client as Etcd3;
}

/**
 * Opens a backend: builds or adopts the client, then grants and revokes a 1-second probe
 * lease, which checks reachability and learns the server's minimum ttl (etcd raises a
 * shorter ttl to it), and reads under the prefix, which checks the credentials.
 * `signal` aborting closes what was opened.
 */
export async function openEtcdBackend(
  url: EtcdUrl,
  options: ResolvedBackendOptions,
  signal: AbortSignal,
): Promise<EtcdBackend> {
  const owns = options.client === undefined;
  const client = owns ? createClient(url, options) : asEtcdClient(options.client);
  const onAbort = (): void => {
    if (owns) client.close();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const probe = new EtcdStore(client, options.connectTimeoutMs);
    const granted = await probe.grantLease(1, signal);
    await probe.revokeLease(granted.id, signal).catch(() => undefined);
    // etcd grants leases to anyone; a read under the prefix is what checks the credentials.
    await probe.countUnder(Buffer.from(`${url.prefix}/`), signal);
    if (signal.aborted) throw signal.reason;
    return new EtcdBackend(client, owns, url, options, Math.max(1, granted.ttlSeconds) * 1_000);
  } catch (error) {
    if (owns) client.close();
    if (signal.aborted) throw signal.reason;
    throw toBatonError(error, 'connect');
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
