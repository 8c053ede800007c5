import {
  BackendBase,
  type Capabilities,
  type ResolvedBackendOptions,
  requestTimeoutFor,
  Session,
  ttlInForce,
} from '@baton/core/adapter';
import type { Etcd3 } from 'etcd3';
import { etcdCapabilities, etcdTtlLimits } from './capabilities.js';
import { asEtcdClient, createClient } from './client.js';
import type { EtcdElectionContext } from './context.js';
import { EtcdElection } from './election.js';
import { toBatonError } from './errors.js';
import { etcdSessionDriver } from './session-driver.js';
import { EtcdStore } from './store.js';
import type { EtcdUrl } from './url.js';
import { WatchRegistry } from './watch.js';

/**
 * A client of one etcd cluster. One lease per client, shared by all its elections and
 * renewed at ttl/3 by core's Session, with a local deadline that never outlives the
 * lease in the store; candidate keys live on that lease.
 */
export class EtcdBackend extends BackendBase<EtcdElection> {
  readonly kind = 'etcd';
  readonly capabilities: Capabilities;
  /** The lease ttl in force: the requested ttl rounded up to whole seconds, never below the server's minimum. */
  readonly ttlMs: number;
  /** Root of this client's keys (`?prefix=`, default `/baton`). */
  readonly prefix: string;
  private readonly context: EtcdElectionContext;
  private readonly etcd: Etcd3;
  private readonly ownsClient: boolean;

  constructor(
    client: Etcd3,
    ownsClient: boolean,
    url: Pick<EtcdUrl, 'prefix' | 'hosts'>,
    options: ResolvedBackendOptions,
    minTtlMs: number,
  ) {
    super();
    this.etcd = client;
    this.ownsClient = ownsClient;
    this.prefix = url.prefix;
    this.ttlMs = ttlInForce('etcd', options.ttlMs, etcdTtlLimits(minTtlMs), options);
    this.capabilities = etcdCapabilities(this.ttlMs, minTtlMs);
    const requestTimeoutMs = requestTimeoutFor(this.ttlMs);
    const store = new EtcdStore(client, requestTimeoutMs);
    let seq = 0;
    this.context = {
      scope: this.scope,
      logger: options.logger,
      ttlMs: this.ttlMs,
      requestTimeoutMs,
      prefix: url.prefix,
      store,
      watches: new WatchRegistry(client),
      session: new Session<string>(etcdSessionDriver(store, url.hosts.length, options.logger), {
        ttlMs: this.ttlMs,
        onDisconnect: options.onDisconnect,
        logger: options.logger,
        label: 'etcd',
        requestTimeoutMs,
      }),
      nextSeq: () => ++seq,
    };
  }

  /** The id (decimal, as etcd prints it) of this client's live lease, if it holds one. For operators and test hooks. */
  get leaseId(): string | undefined {
    return this.context.session.peek()?.id;
  }

  /** The etcd3 client this backend talks through. */
  get client(): Etcd3 {
    return this.etcd;
  }

  protected createElection(name: string): EtcdElection {
    return new EtcdElection(this.context, name);
  }

  protected async finalize(): Promise<void> {
    const { watches, session, store } = this.context;
    const confirmed = await watches.closeAll(store.requestTimeoutMs);
    await session.close();
    if (this.ownsClient) {
      if (!confirmed) watches.dropStream();
      this.etcd.close();
    }
  }
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
