import {
  BackendBase,
  BackendUnavailableError,
  type Capabilities,
  grantableTtl,
  InvalidArgumentError,
  type ResolvedBackendOptions,
  requestTimeoutFor,
  Session,
} from '@baton/core/adapter';
import { ConsulApi, isConsulClient } from './api.js';
import { consulCapabilities, MAX_TTL_MS, TTL_RESOLUTION_MS } from './capabilities.js';
import type { ConsulElectionContext } from './context.js';
import { ConsulElection } from './election.js';
import { HeldKeys } from './held.js';
import { consulSessionDriver } from './session-driver.js';
import { type ConsulUrl, parseLockDelay } from './url.js';

/** Options of this adapter beyond BackendOptions; each overrides the URL's query parameter. */
export interface ConsulBackendOptions {
  /**
   * Lock-delay of the client's session, at most 60 000 ms. After Consul invalidates a session
   * that held the key (ttl run out, node gone), nobody may take the key for this long: it
   * keeps a paused ex-leader's in-flight work from overlapping its successor's, and it is the
   * floor of crash failover. Graceful resign and close() release the key first and pay nothing.
   * @default 15_000 (Consul's own), or the URL's `?lockDelay=`
   */
  readonly lockDelayMs?: number;
  /**
   * ACL token, sent as X-Consul-Token.
   * @default the URL's `?token=`, else none
   */
  readonly token?: string;
  /**
   * Datacenter.
   * @default the URL's `?dc=`, else the agent's own
   */
  readonly dc?: string;
  /**
   * Root of Baton's keys.
   * @default the URL's `?prefix=`, else `baton`
   */
  readonly prefix?: string;
}

/** How long a blocking query waits on the server before answering unchanged. */
const WATCH_WAIT_MS = 15_000;

/**
 * A client of Consul: one session (ttl, no health checks, behavior "release") shared by all
 * its elections, renewed at ttl/3.
 */
export class ConsulBackend extends BackendBase<ConsulElection> {
  readonly kind = 'consul';
  readonly lockDelayMs: number;
  readonly prefix: string;
  private readonly context: ConsulElectionContext;
  /** The session ttl in force: the request in whole seconds, raised to the servers' minimum when they refuse it. */
  private readonly ttl: { ttlMs: number };

  constructor(url: ConsulUrl, options: ResolvedBackendOptions, overrides: ConsulBackendOptions = {}) {
    super();
    if (options.client !== undefined && !isConsulClient(options.client)) {
      throw new InvalidArgumentError('options.client must be a client of the consul package (new Consul({...}))');
    }
    const token = overrides.token ?? url.token;
    const dc = overrides.dc ?? url.dc;
    const ttl = {
      ttlMs: grantableTtl(options.ttlMs, {
        minMs: TTL_RESOLUTION_MS,
        resolutionMs: TTL_RESOLUTION_MS,
        maxMs: MAX_TTL_MS,
      }),
    };
    this.ttl = ttl;
    this.lockDelayMs = overrides.lockDelayMs === undefined ? url.lockDelayMs : parseLockDelay(overrides.lockDelayMs);
    this.prefix = overrides.prefix ?? url.prefix;
    const requestTimeoutMs = requestTimeoutFor(ttl.ttlMs, { minMs: 2_000, maxMs: 10_000 });
    const api = new ConsulApi({
      hosts: url.hosts,
      secure: url.secure,
      logger: options.logger,
      ...(token === undefined ? {} : { token }),
      ...(dc === undefined ? {} : { dc }),
      ...(options.client === undefined ? {} : { client: options.client }),
    });
    const held = new HeldKeys({
      api,
      prefix: this.prefix,
      logger: options.logger,
      waitMs: WATCH_WAIT_MS,
      requestTimeoutMs,
    });
    this.context = {
      scope: this.scope,
      logger: options.logger,
      get ttlMs() {
        return ttl.ttlMs;
      },
      requestTimeoutMs,
      api,
      held,
      prefix: this.prefix,
      watchWaitMs: WATCH_WAIT_MS,
      session: new Session<string>(
        consulSessionDriver(api, held, {
          requestedTtlMs: options.ttlMs,
          ttl,
          lockDelayMs: this.lockDelayMs,
          requestTimeoutMs,
          strictTtl: options.strictTtl,
          logger: options.logger,
        }),
        {
          ttlMs: ttl.ttlMs,
          onDisconnect: options.onDisconnect,
          logger: options.logger,
          label: 'consul',
          requestTimeoutMs,
        },
      ),
    };
  }

  /** The session ttl in force. */
  get ttlMs(): number {
    return this.ttl.ttlMs;
  }

  get capabilities(): Capabilities {
    return consulCapabilities(this.ttl.ttlMs, this.lockDelayMs);
  }

  /** The id of this client's live Consul session, if it has one (for test hooks and operators). */
  get sessionId(): string | undefined {
    return this.context.session.peek()?.id;
  }

  /**
   * Cuts every blocking query this client has in flight, as a dropped connection would;
   * observers and waiters re-subscribe and re-read. For fault tests. Returns how many it cut.
   */
  interruptWatches(): number {
    return this.context.api.interruptWatches();
  }

  /** Whether the servers have a Raft leader now (see ConsulApi.hasClusterLeader); asked within 150 ms. */
  hasClusterLeader(): Promise<boolean | undefined> {
    return this.context.api.hasClusterLeader(AbortSignal.timeout(150), 150);
  }

  /** The agent calls go to now, `host:port` (for messages). */
  get agent(): string {
    return this.context.api.agent;
  }

  /** Creates the client's session now (connect() does, so that a refused ttl or token fails there). */
  async start(signal: AbortSignal): Promise<void> {
    await this.context.session.current(signal);
  }

  protected createElection(name: string): ConsulElection {
    return new ConsulElection(this.context, name);
  }

  /** The leaderships' keys were deleted as they ended; now the session goes, so no lock-delay applies. */
  protected async finalize(): Promise<void> {
    const { held, session, api } = this.context;
    held.close();
    await session.close();
    api.close();
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
    await backend.start(signal);
    return backend;
  } catch (error) {
    // A session create that never came back, on an agent that answers: most often servers
    // without a leader (bootstrap_expect not met), which Consul only says after 7 s.
    const leaderless = signal.aborted && (await backend.hasClusterLeader()) === false;
    await backend.close().catch(() => undefined);
    if (leaderless) {
      throw new BackendUnavailableError(
        `the Consul servers behind ${backend.agent} have no cluster leader: not enough servers for a quorum ` +
          '(bootstrap_expect), or still electing one',
      );
    }
    throw error;
  }
}
