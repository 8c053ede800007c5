import type { Backend, ResolvedBackendOptions } from './backend.js';
import type { Capabilities } from './capabilities.js';
import { InvalidArgumentError } from './errors.js';

/** What an adapter package registers so that `connect(url)` can find it by scheme. */
export interface BackendFactory {
  readonly kind: string;
  readonly schemes: readonly string[];
  /**
   * The capabilities a backend would have with these options (and this URL, when given);
   * checked before any round trip.
   */
  capabilities(options: ResolvedBackendOptions, url?: string): Capabilities;
  /** Validates `url` synchronously, throwing InvalidArgumentError; called before connect. */
  validateUrl(url: URL, raw: string): void;
  /** Connects. `signal` aborts when connectTimeoutMs runs out; the factory must then clean up. */
  connect(url: URL, raw: string, options: ResolvedBackendOptions, signal: AbortSignal): Promise<Backend>;
}

/** The package to install for each scheme Baton knows, for the error when it is missing. */
export const adapterPackages: Readonly<Record<string, string>> = {
  memory: '@baton/core',
  etcd: '@baton/etcd',
  zookeeper: '@baton/zookeeper',
  consul: '@baton/consul',
  consuls: '@baton/consul',
  redis: '@baton/redis',
  rediss: '@baton/redis',
};

// Kept on globalThis so that two copies of @baton/core in one process share one registry.
const registryKey = Symbol.for('baton.backend-registry');
type Registry = Map<string, BackendFactory>;

function registry(): Registry {
  const holder = globalThis as { [registryKey]?: Registry };
  holder[registryKey] ??= new Map();
  return holder[registryKey];
}

export function registerBackend(factory: BackendFactory): void {
  for (const scheme of factory.schemes) {
    if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) throw new InvalidArgumentError(`invalid scheme "${scheme}"`);
    registry().set(scheme, factory);
  }
}

export function findBackend(scheme: string): BackendFactory | undefined {
  return registry().get(scheme);
}

export function registeredSchemes(): string[] {
  return [...registry().keys()].sort();
}
