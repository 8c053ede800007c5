import type { ResolvedBackendOptions } from '../backend.js';
import { BackendBase } from '../backend-base.js';
import type { Capabilities } from '../capabilities.js';
import { InvalidArgumentError } from '../errors.js';
import type { BackendFactory } from '../registry.js';
import { Session } from '../session.js';
import { ttlInForce } from '../ttl-policy.js';
import { parseBackendUrl, redactUrl } from '../validation.js';
import type { MemoryElectionContext } from './context.js';
import { MemoryElection } from './election.js';
import { memoryStore } from './store.js';

/**
 * Timers of whole milliseconds, up to what a Node timer can wait; below 100 ms a renewal every
 * ttl/3 leaves too little room on a busy event loop, as on the network stores.
 */
const MEMORY_TTL_LIMITS = { minMs: 100, resolutionMs: 1, maxMs: 2 ** 31 - 1 } as const;

export function memoryCapabilities(ttlMs: number): Capabilities {
  return {
    fencing: { source: "the store's revision at which the leader's key was created", regression: 'never' },
    minTtlMs: MEMORY_TTL_LIMITS.minMs,
    maxTtlMs: MEMORY_TTL_LIMITS.maxMs,
    ttlResolutionMs: MEMORY_TTL_LIMITS.resolutionMs,
    fifo: true,
    leaderRead: 'linearizable',
    notify: 'watch',
    worstCaseFailover: 'ttl',
    worstCaseFailoverMs: ttlMs,
  };
}

/** What a `memory://` URL says: the name of the in-process store ('' for the default one). */
export interface MemoryUrl {
  readonly storeName: string;
}

/**
 * A client of an in-process MemoryStore. It goes through the same session, lease and
 * term machinery as the network adapters, so that the embedded default keeps the same
 * contract: real ttl expiry, FIFO, watches, fencing tokens.
 */
export class MemoryBackend extends BackendBase<MemoryElection> {
  readonly kind = 'memory';
  readonly capabilities: Capabilities;
  readonly ttlMs: number;
  private readonly context: MemoryElectionContext;

  constructor(url: MemoryUrl, options: ResolvedBackendOptions) {
    super();
    const store = memoryStore(url.storeName);
    this.ttlMs = ttlInForce('memory', options.ttlMs, MEMORY_TTL_LIMITS, options);
    this.capabilities = memoryCapabilities(this.ttlMs);
    const session = new Session<string>(
      {
        grant: async (ttlMs) => ({ id: store.grantSession(ttlMs), ttlMs }),
        renew: async (id) => (store.keepAlive(id) ? { kind: 'renewed' } : { kind: 'lost', reason: 'expired' }),
        revoke: async (id) => store.revokeSession(id),
      },
      {
        ttlMs: this.ttlMs,
        onDisconnect: options.onDisconnect,
        logger: options.logger,
        label: 'memory',
        requestTimeoutMs: this.ttlMs,
      },
    );
    this.context = {
      scope: this.scope,
      logger: options.logger,
      ttlMs: this.ttlMs,
      requestTimeoutMs: this.ttlMs,
      session,
      store,
    };
  }

  /** The id of this client's live session in the store, if it has one (for test hooks). */
  get sessionId(): string | undefined {
    return this.context.session.peek()?.id;
  }

  protected createElection(name: string): MemoryElection {
    return new MemoryElection(this.context, name);
  }

  protected finalize(): Promise<void> {
    return this.context.session.close();
  }
}

export const memoryBackendFactory: BackendFactory<MemoryUrl> = {
  kind: 'memory',
  schemes: ['memory'],
  parseUrl(raw) {
    const url = parseBackendUrl(raw);
    if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.username !== '') {
      throw new InvalidArgumentError(`"${redactUrl(raw)}" is not memory:// or memory://STORE-NAME`);
    }
    return { storeName: url.hostname };
  },
  capabilities: (options) => memoryCapabilities(options.ttlMs),
  connect: async (url, options) => new MemoryBackend(url, options),
};
