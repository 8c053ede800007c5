import type { Backend, ResolvedBackendOptions } from './backend.js';
import type { Capabilities } from './capabilities.js';
import { InvalidArgumentError } from './errors.js';

/**
 * What an adapter package registers so that `connect(url)` can find it by scheme. `U` is
 * the adapter's typed view of its URL: `connect()` parses the URL once, with `parseUrl`,
 * and hands the result to `capabilities` and `connect`.
 */
export interface BackendFactory<U = unknown> {
  readonly kind: string;
  readonly schemes: readonly string[];
  /**
   * Parses and checks a URL of one of `schemes`, synchronously, before any round trip.
   * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) naming what is wrong.
   */
  parseUrl(raw: string): U;
  /** The capabilities a backend would have with these options and this URL; checked before any round trip. */
  capabilities(options: ResolvedBackendOptions, url: U): Capabilities;
  /** Connects. `signal` aborts when connectTimeoutMs runs out; the factory must then clean up. */
  connect(url: U, options: ResolvedBackendOptions, signal: AbortSignal): Promise<Backend>;
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
  postgres: '@baton/postgres',
  postgresql: '@baton/postgres',
  kubernetes: '@baton/kubernetes',
};

// Kept on globalThis so that two copies of @baton/core in one process share one registry.
const registryKey = Symbol.for('baton.backend-registry');
type Registry = Map<string, BackendFactory<unknown>>;

function registry(): Registry {
  const holder = globalThis as { [registryKey]?: Registry };
  holder[registryKey] ??= new Map();
  return holder[registryKey];
}

/** Makes `factory` the adapter for each of its schemes; adapter packages call it when first imported. */
export function registerBackend<U>(factory: BackendFactory<U>): void {
  for (const scheme of factory.schemes) {
    if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) throw new InvalidArgumentError(`invalid scheme "${scheme}"`);
    registry().set(scheme, factory as BackendFactory<unknown>);
  }
}

export function findBackend(scheme: string): BackendFactory<unknown> | undefined {
  return registry().get(scheme);
}

export function registeredSchemes(): string[] {
  return [...registry().keys()].sort();
}
