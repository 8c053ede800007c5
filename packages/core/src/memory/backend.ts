import type { Backend, ResolvedBackendOptions } from '../backend.js';
import type { Capabilities } from '../capabilities.js';
import { ClientScope } from '../client-scope.js';
import type { Election } from '../election.js';
import { InvalidArgumentError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BackendFactory } from '../registry.js';
import { Session } from '../session.js';
import { validateElectionName } from '../validation.js';
import { MemoryElection } from './election.js';
import { type MemoryStore, memoryStore } from './store.js';

export function memoryCapabilities(ttlMs: number): Capabilities {
  return {
    fencing: { source: "the store's revision at which the leader's key was created", regression: 'never' },
    minTtlMs: 1,
    maxTtlMs: 2 ** 31 - 1,
    ttlResolutionMs: 1,
    fifo: true,
    leaderRead: 'linearizable',
    notify: 'watch',
    worstCaseFailover: 'ttl',
    worstCaseFailoverMs: ttlMs,
  };
}

/**
 * A client of an in-process MemoryStore. It goes through the same session, lease and
 * term machinery as the network adapters, so that the embedded default keeps the same
 * contract: real ttl expiry, FIFO, watches, fencing tokens.
 */
export class MemoryBackend implements Backend {
  readonly kind = 'memory';
  readonly capabilities: Capabilities;
  readonly ttlMs: number;
  readonly store: MemoryStore;
  readonly scope = new ClientScope();
  readonly session: Session<string>;
  readonly logger: Logger;

  constructor(store: MemoryStore, options: ResolvedBackendOptions) {
    this.store = store;
    this.ttlMs = options.ttlMs;
    this.logger = options.logger;
    this.capabilities = memoryCapabilities(options.ttlMs);
    this.session = new Session<string>(
      {
        grant: async (ttlMs) => ({ id: store.grantSession(ttlMs), ttlMs }),
        renew: async (id) => (store.keepAlive(id) ? { kind: 'renewed' } : { kind: 'lost', reason: 'expired' }),
        revoke: async (id) => store.revokeSession(id),
      },
      {
        ttlMs: options.ttlMs,
        onDisconnect: options.onDisconnect,
        logger: options.logger,
        label: 'memory',
        requestTimeoutMs: options.ttlMs,
      },
    );
  }

  /** The id of this client's live session in the store, if it has one (for test hooks). */
  get sessionId(): string | undefined {
    return this.session.peek()?.id;
  }

  election(name: string): Election {
    validateElectionName(name);
    this.scope.assertOpen();
    return new MemoryElection(this, name);
  }

  close(): Promise<void> {
    return this.scope.close(() => this.session.close());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

export const memoryBackendFactory: BackendFactory = {
  kind: 'memory',
  schemes: ['memory'],
  capabilities: (options) => memoryCapabilities(options.ttlMs),
  validateUrl(url, raw) {
    if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.username !== '') {
      throw new InvalidArgumentError(`"${raw}" is not memory:// or memory://STORE-NAME`);
    }
  },
  async connect(url, _raw, options) {
    return new MemoryBackend(memoryStore(url.hostname), options);
  },
};
