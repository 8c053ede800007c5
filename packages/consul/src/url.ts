import { InvalidArgumentError, parseHostList, redactUrl } from '@baton/core/adapter';

export const DEFAULT_CONSUL_PORT = 8500;
export const DEFAULT_CONSUL_TLS_PORT = 8501;
export const DEFAULT_PREFIX = 'baton';
/** Consul's own default lock-delay, applied when a session is invalidated while holding a lock. */
export const DEFAULT_LOCK_DELAY_MS = 15_000;
/** Consul refuses a lock-delay above 60 s. */
export const MAX_LOCK_DELAY_MS = 60_000;

/** What a `consul://` URL says. */
export interface ConsulUrl {
  /** Agents to talk to, in URL order; the client moves to the next one when one stops answering. */
  readonly hosts: readonly { readonly host: string; readonly port: number }[];
  /** `consuls://`: HTTPS. */
  readonly secure: boolean;
  /** ACL token, sent as X-Consul-Token. */
  readonly token?: string;
  /** Datacenter; the agent's own when absent. */
  readonly dc?: string;
  /** Lock-delay of this client's session, in ms. */
  readonly lockDelayMs: number;
  /** Root of Baton's keys, without leading or trailing "/". */
  readonly prefix: string;
}

const KNOWN_PARAMS = new Set(['token', 'dc', 'lockDelay', 'prefix']);
const PREFIX_SEGMENT = /^[A-Za-z0-9._-]+$/;
const DC = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses `consul://host[:port][,host[:port]...][?token=...&dc=...&lockDelay=...&prefix=...]`
 * (`consuls://` for HTTPS). Reads the raw string: WHATWG URL parsing refuses `a:8500,b:8500`.
 */
export function parseConsulUrl(raw: string): ConsulUrl {
  if (typeof raw !== 'string' || !/^consuls?:\/\//i.test(raw)) {
    throw new InvalidArgumentError(`"${redactUrl(String(raw))}" is not a consul:// or consuls:// URL`);
  }
  if (/\s/.test(raw)) throw new InvalidArgumentError(`"${redactUrl(raw)}" contains white space`);
  if (raw.includes('#')) throw new InvalidArgumentError(`"${redactUrl(raw)}" has a fragment`);
  if (/^[a-z]+:\/\/[^/?#]*@/i.test(raw)) {
    throw new InvalidArgumentError(`"${redactUrl(raw)}" has credentials; give an ACL token as ?token=...`);
  }
  const path = /^[a-z]+:\/\/[^/?#]*([^?#]*)/i.exec(raw)?.[1] ?? '';
  if (path !== '' && path !== '/') {
    throw new InvalidArgumentError(`"${redactUrl(raw)}" has a path; give the key prefix as ?prefix=...`);
  }
  const secure = /^consuls:/i.test(raw);
  const hosts = parseHostList(raw, secure ? DEFAULT_CONSUL_TLS_PORT : DEFAULT_CONSUL_PORT);
  const params = new URLSearchParams(/\?([^#]*)/.exec(raw)?.[1] ?? '');
  for (const key of params.keys()) {
    if (!KNOWN_PARAMS.has(key)) {
      throw new InvalidArgumentError(`unknown parameter "${key}"; known: ${[...KNOWN_PARAMS].join(', ')}`);
    }
  }
  const token = params.get('token') ?? undefined;
  if (token === '') throw new InvalidArgumentError('token must not be empty');
  const dc = params.get('dc') ?? undefined;
  if (dc !== undefined && !DC.test(dc)) throw new InvalidArgumentError(`dc "${dc}" is not a datacenter name`);
  const lockDelay = params.get('lockDelay');
  const lockDelayMs = lockDelay === null ? DEFAULT_LOCK_DELAY_MS : parseLockDelay(lockDelay);
  const prefix = params.get('prefix') ?? DEFAULT_PREFIX;
  if (prefix.split('/').some((segment) => !PREFIX_SEGMENT.test(segment) || segment === '.' || segment === '..')) {
    throw new InvalidArgumentError(
      `prefix "${prefix}" must be segments of A-Z a-z 0-9 . _ - separated by "/" (no leading or trailing "/")`,
    );
  }
  return {
    hosts,
    secure,
    lockDelayMs,
    prefix,
    ...(token === undefined ? {} : { token }),
    ...(dc === undefined ? {} : { dc }),
  };
}

/** `lockDelay=` accepts milliseconds (`500`) or a duration with a unit (`500ms`, `15s`). */
export function parseLockDelay(text: string | number): number {
  let ms: number;
  if (typeof text === 'number') ms = text;
  else {
    const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text);
    if (!match?.[1]) {
      throw new InvalidArgumentError(`lockDelay "${text}" must be milliseconds or a duration such as 500ms or 15s`);
    }
    ms = Number(match[1]) * (match[2] === 's' ? 1_000 : 1);
  }
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_LOCK_DELAY_MS) {
    throw new InvalidArgumentError(`lockDelay must be from 0 to ${MAX_LOCK_DELAY_MS} ms, got ${String(text)}`);
  }
  return Math.round(ms);
}
