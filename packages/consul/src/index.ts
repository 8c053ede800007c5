import {
  assertCapabilities,
  type BackendFactory,
  type BackendOptions,
  BackendUnavailableError,
  redactUrl,
  registerBackend,
  resolveBackendOptions,
} from '@baton/core';
import { type ConsulBackend, type ConsulBackendOptions, openConsulBackend } from './backend.js';
import { consulCapabilities } from './capabilities.js';
import { DEFAULT_LOCK_DELAY_MS, parseConsulUrl } from './url.js';

export {
  ConsulApi,
  type ConsulClientLike,
  isConsulClient,
  type KvEntry,
  parseGoDuration,
} from './api.js';
export { ConsulBackend, type ConsulBackendOptions } from './backend.js';
export {
  consulCapabilities,
  DEFAULT_MIN_TTL_MS,
  effectiveTtlMs,
  MAX_TTL_MS,
  TTL_RESOLUTION_MS,
} from './capabilities.js';
export { ConsulElection } from './election.js';
export { decodeRecord, leaderKey, leaderOf, tokenOf } from './keys.js';
export {
  type ConsulUrl,
  DEFAULT_CONSUL_PORT,
  DEFAULT_CONSUL_TLS_PORT,
  DEFAULT_LOCK_DELAY_MS,
  DEFAULT_PREFIX,
  MAX_LOCK_DELAY_MS,
  parseConsulUrl,
  parseLockDelay,
} from './url.js';

/** Registered for `consul://` and `consuls://`; `connect('consul://...')` from @baton/core finds it. */
export const consulBackendFactory: BackendFactory = {
  kind: 'consul',
  schemes: ['consul', 'consuls'],
  // Before connecting, the URL is not at hand: this assumes Consul's default lock-delay.
  capabilities: (options) => consulCapabilities(options.ttlMs, DEFAULT_LOCK_DELAY_MS),
  validateUrl(_url, raw) {
    parseConsulUrl(raw);
  },
  connect: (_url, raw, options, signal) => openConsulBackend(parseConsulUrl(raw), options, signal),
};

registerBackend(consulBackendFactory);

/**
 * Connects like `connect(url)` from @baton/core, with two additions: multi-host URLs
 * (`consul://a:8500,b:8500`, which WHATWG URL parsing refuses) and `ConsulBackendOptions`
 * (lock-delay, token, datacenter, prefix) given as code rather than in the URL.
 */
export async function connectConsul(
  url: string,
  options?: BackendOptions & ConsulBackendOptions,
): Promise<ConsulBackend> {
  const resolved = resolveBackendOptions(options);
  const parsed = parseConsulUrl(url);
  const overrides: ConsulBackendOptions = {
    ...(options?.lockDelayMs === undefined ? {} : { lockDelayMs: options.lockDelayMs }),
    ...(options?.token === undefined ? {} : { token: options.token }),
    ...(options?.dc === undefined ? {} : { dc: options.dc }),
    ...(options?.prefix === undefined ? {} : { prefix: options.prefix }),
  };
  const lockDelayMs = overrides.lockDelayMs ?? parsed.lockDelayMs;
  assertCapabilities('consul', consulCapabilities(resolved.ttlMs, lockDelayMs), resolved.requires);
  const controller = new AbortController();
  const pending = openConsulBackend(parsed, resolved, controller.signal, overrides);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new BackendUnavailableError(
        `could not connect to ${redactUrl(url)} within ${resolved.connectTimeoutMs} ms`,
      );
      controller.abort(error);
      reject(error);
    }, resolved.connectTimeoutMs);
  });
  try {
    return await Promise.race([pending, timeout]);
  } catch (error) {
    pending.then((backend) => backend.close()).catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
