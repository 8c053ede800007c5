import { InvalidArgumentError, parseHostList, redactUrl } from '@baton/core/adapter';

export const DEFAULT_ETCD_PORT = 2379;
export const DEFAULT_PREFIX = '/baton';

/** What an `etcd://` URL says. */
export interface EtcdUrl {
  /** `http://host:port` (or `https://` with `?tls=true`), in URL order. */
  readonly hosts: readonly string[];
  /** Root of Baton's keys, e.g. `/baton`; no trailing slash. */
  readonly prefix: string;
  readonly tls: boolean;
  readonly auth?: { readonly username: string; readonly password: string };
}

const PREFIX_CHARS = /^(\/[A-Za-z0-9._-]+)+$/;
const KNOWN_PARAMS = new Set(['prefix', 'tls']);

/**
 * Parses `etcd://[user:pass@]host:port[,host:port...][?prefix=/baton&tls=true]`.
 * Hosts are kept in URL order; the etcd3 client balances calls across them. Reads the raw
 * string: WHATWG URL parsing refuses `a:2379,b:2379` (it takes `2379,b:2379` for a port).
 */
export function parseEtcdUrl(raw: string): EtcdUrl {
  if (typeof raw !== 'string' || !/^etcd:\/\//i.test(raw)) {
    throw new InvalidArgumentError(`"${redactUrl(String(raw))}" is not an etcd:// URL`);
  }
  if (/\s/.test(raw)) throw new InvalidArgumentError(`"${redactUrl(raw)}" contains white space`);
  const path = pathOf(raw);
  if (path !== '' && path !== '/') {
    throw new InvalidArgumentError(`"${redactUrl(raw)}" has a path; give the key prefix as ?prefix=/path`);
  }
  if (raw.includes('#')) throw new InvalidArgumentError(`"${redactUrl(raw)}" has a fragment`);
  const params = new URLSearchParams(queryOf(raw));
  for (const key of params.keys()) {
    if (!KNOWN_PARAMS.has(key)) {
      throw new InvalidArgumentError(`unknown parameter "${key}" in "${redactUrl(raw)}"; known: prefix, tls`);
    }
  }
  const prefix = params.get('prefix') ?? DEFAULT_PREFIX;
  if (!PREFIX_CHARS.test(prefix) || prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new InvalidArgumentError(
      `prefix "${prefix}" must be "/" followed by segments of A-Z a-z 0-9 . _ - (no trailing "/", no "." or "..")`,
    );
  }
  const tlsParam = params.get('tls');
  if (tlsParam !== null && tlsParam !== 'true' && tlsParam !== 'false') {
    throw new InvalidArgumentError(`tls must be "true" or "false", got "${tlsParam}"`);
  }
  const tls = tlsParam === 'true';
  const scheme = tls ? 'https' : 'http';
  const hosts = parseHostList(raw, DEFAULT_ETCD_PORT).map(({ host, port }) => `${scheme}://${host}:${port}`);
  const credentials = credentialsOf(raw);
  return credentials ? { hosts, prefix, tls, auth: credentials } : { hosts, prefix, tls };
}

/** The raw `user:pass` part, decoded; WHATWG parsing of multi-host authorities is unreliable, so read it ourselves. */
function credentialsOf(raw: string): { username: string; password: string } | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^@/?#]*)@/i.exec(raw);
  if (!match?.[1]) return undefined;
  const [user, ...rest] = match[1].split(':');
  const username = decode(user ?? '', raw);
  const password = decode(rest.join(':'), raw);
  if (username === '') throw new InvalidArgumentError(`"${redactUrl(raw)}" has credentials without a user name`);
  return { username, password };
}

function decode(part: string, raw: string): string {
  try {
    return decodeURIComponent(part);
  } catch (cause) {
    throw new InvalidArgumentError(`"${redactUrl(raw)}" has badly escaped credentials`, { cause });
  }
}

function pathOf(raw: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(raw)?.[1] ?? '';
}

function queryOf(raw: string): string {
  return /\?([^#]*)/.exec(raw)?.[1] ?? '';
}
