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
import { ConsulApi, isConsulClient } from './api.js';
import { consulCapabilities, effectiveTtlMs } from './capabilities.js';
import { ConsulElection } from './election.js';
import { HeldKeys } from './held.js';
import { type ConsulUrl, parseLockDelay } from './url.js';

/** Options of this adapter beyond BackendOptions; each overrides the URL's query parameter. */
export interface ConsulBackendOptions {
  /**
   * Lock-delay of the client's session (default 15 000 ms, Consul's own, at most 60 000).
   * After Consul invalidates a session that held the key (ttl run out, node gone), nobody
   * may take the key for this long: it keeps a paused ex-leader's in-flight work from
   * overlapping its successor's, and it is the floor of crash failover. Graceful resign and
   * close() release the key first and pay nothing.
   */
  readonly lockDelayMs?: number;
  readonly token?: string;
  readonly dc?: string;
  readonly prefix?: string;
}

/** How long a blocking query waits on the server before answering unchanged. */
const WATCH_WAIT_MS = 15_000;

/**
 * A client of Consul: one session (ttl, no health checks, behavior "release") shared by all
 * its elections, renewed at ttl/3.
 */
export class ConsulBackend implements Backend {
  readonly kind = 'consul';
  readonly capabilities: Capabilities;
  /** The session ttl, rounded up to whole seconds. */
  readonly ttlMs: number;
  readonly lockDelayMs: number;
  readonly prefix: string;
  readonly scope = new ClientScope();
  readonly session: Session<string>;
  readonly api: ConsulApi;
  readonly held: HeldKeys;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  readonly watchWaitMs = WATCH_WAIT_MS;

  constructor(url: ConsulUrl, options: ResolvedBackendOptions, overrides: ConsulBackendOptions = {}) {
    if (options.client !== undefined && !isConsulClient(options.client)) {
      throw new InvalidArgumentError('options.client must be a client of the consul package (new Consul({...}))');
    }
    const token = overrides.token ?? url.token;
    const dc = overrides.dc ?? url.dc;
    this.ttlMs = effectiveTtlMs(options.ttlMs);
    this.lockDelayMs = overrides.lockDelayMs === undefined ? url.lockDelayMs : parseLockDelay(overrides.lockDelayMs);
    this.prefix = overrides.prefix ?? url.prefix;
    this.logger = options.logger;
    this.capabilities = consulCapabilities(this.ttlMs, this.lockDelayMs);
    this.requestTimeoutMs = Math.max(2_000, Math.min(this.ttlMs, 10_000));
    this.api = new ConsulApi({
      hosts: url.hosts,
      secure: url.secure,
      logger: options.logger,
      ...(token === undefined ? {} : { token }),
      ...(dc === undefined ? {} : { dc }),
      ...(options.client === undefined ? {} : { client: options.client }),
    });
    const ttlSeconds = this.ttlMs / 1_000;
    this.session = new Session<string>(
      {
        grant: async (_ttlMs, signal) => {
          const id = await this.api.createSession(
            {
              name: 'baton',
              ttl: `${ttlSeconds}s`,
              lockdelay: `${this.lockDelayMs}ms`,
              behavior: 'release',
              // No node health checks: the ttl alone decides, so a node's flapping serf
              // health never ends a leadership, and the client's local deadline stays exact.
              checks: [],
            },
            signal,
            this.requestTimeoutMs,
          );
          return { id, ttlMs: this.ttlMs };
        },
        renew: async (id, signal) => {
          const renewed = await this.api.renewSession(id, signal, this.requestTimeoutMs);
          if (!renewed.found) return { kind: 'lost', reason: 'expired' };
          return renewed.ttlMs === undefined ? { kind: 'renewed' } : { kind: 'renewed', ttlMs: renewed.ttlMs };
        },
        revoke: async (id, signal) => {
          // Keys still held when a session is given up on (connection lost, close) are deleted
          // first: destroying a session that holds a lock puts the key under lock-delay.
          // Read synchronously, before the leaderships on this session end and unregister.
          const held = this.held.heldBy(id);
          await Promise.allSettled(held.map((key) => key.release(signal)));
          await this.api.destroySession(id, signal, this.requestTimeoutMs);
        },
      },
      {
        ttlMs: this.ttlMs,
        onDisconnect: options.onDisconnect,
        logger: options.logger,
        label: 'consul',
        requestTimeoutMs: this.requestTimeoutMs,
      },
    );
    this.held = new HeldKeys({
      api: this.api,
      prefix: this.prefix,
      logger: options.logger,
      waitMs: WATCH_WAIT_MS,
      requestTimeoutMs: this.requestTimeoutMs,
    });
  }

  /** The id of this client's live Consul session, if it has one (for test hooks and operators). */
  get sessionId(): string | undefined {
    return this.session.peek()?.id;
  }

  /**
   * Cuts every blocking query this client has in flight, as a dropped connection would;
   * observers and waiters re-subscribe and re-read. For fault tests. Returns how many it cut.
   */
  interruptWatches(): number {
    return this.api.interruptWatches();
  }

  election(name: string): Election {
    validateElectionName(name);
    this.scope.assertOpen();
    return new ConsulElection(this, name);
  }

  /** Ends every leadership ('closed') and deletes their keys, then destroys the session, so no lock-delay applies. */
  close(): Promise<void> {
    return this.scope.close(async () => {
      this.held.close();
      await this.session.close();
      this.api.close();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Makes the backend and creates its session at once, so that a ttl below the servers'
 * session_ttl_min, a refused token or an unknown datacenter fails here, not at the first campaign.
 */
export async function openConsulBackend(
  url: ConsulUrl,
  options: ResolvedBackendOptions,
  signal: AbortSignal,
  overrides?: ConsulBackendOptions,
): Promise<ConsulBackend> {
  const backend = new ConsulBackend(url, options, overrides);
  try {
    await backend.session.current(signal);
    return backend;
  } catch (error) {
    await backend.close().catch(() => undefined);
    throw error;
  }
}
