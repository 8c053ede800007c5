import { InvalidArgumentError, type ResolvedBackendOptions } from '@baton/core/adapter';
import { ConsecutiveBreaker, circuitBreaker, handleWhen, noop, retry } from 'cockatiel';
import etcd3, { type Etcd3, type IOptions } from 'etcd3';
import type { EtcdUrl } from './url.js';

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
