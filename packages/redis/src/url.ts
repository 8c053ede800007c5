import { InvalidArgumentError, parseBackendUrl, redactUrl } from '@baton/core/adapter';
import { DEFAULT_PREFIX } from './keys.js';

/** What a `redis://` or `rediss://` URL says about where and how to connect. */
export interface RedisTarget {
  /** '' for a URL without a host (`redis://`, `redis://?prefix=x`): only valid with `options.client`. */
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
  readonly tls: boolean;
  /** First segment of every key Baton writes; `?prefix=` in the URL. */
  readonly prefix: string;
  /** The URL with its password replaced, for messages and logs. */
  readonly redacted: string;
}

const PREFIX_CHARS = /^[A-Za-z0-9._:-]{1,64}$/;
const KNOWN_PARAMS = new Set(['prefix']);

/**
 * Parses `redis://[user:pass@]host[:6379][/db][?prefix=baton]`; `rediss://` turns on TLS.
 * The host may be left out when the caller passes its own client: the URL then gives only
 * the scheme and `?prefix=`. Throws InvalidArgumentError for anything else, before any round trip.
 */
export function parseRedisUrl(raw: string): RedisTarget {
  const shown = redactUrl(String(raw));
  if (/^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?[^/?#]*,/i.test(String(raw))) {
    throw new InvalidArgumentError(
      `"${shown}" must name exactly one host; pass a Cluster client through options.client`,
    );
  }
  const url = parseBackendUrl(raw);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidArgumentError(`"${shown}" is not a redis:// or rediss:// URL`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host.includes(',')) {
    throw new InvalidArgumentError(
      `"${shown}" must name exactly one host; pass a Cluster client through options.client`,
    );
  }
  const port = url.port === '' ? 6379 : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`port out of range in "${shown}"`);
  }
  const path = url.pathname.replace(/^\//, '');
  if (!/^\d{0,5}$/.test(path)) throw new InvalidArgumentError(`database "${path}" is not a number in "${shown}"`);
  const db = path === '' ? 0 : Number(path);
  for (const key of url.searchParams.keys()) {
    if (!KNOWN_PARAMS.has(key)) throw new InvalidArgumentError(`unknown parameter "${key}" in "${shown}"`);
  }
  const prefix = url.searchParams.get('prefix') ?? DEFAULT_PREFIX;
  if (!PREFIX_CHARS.test(prefix)) {
    throw new InvalidArgumentError(`prefix "${prefix}" must be 1-64 characters of A-Z a-z 0-9 . _ : -`);
  }
  if (url.hash !== '') throw new InvalidArgumentError(`"${shown}" must not have a #fragment`);
  return {
    host,
    port,
    username: url.username === '' ? undefined : decode(url.username, shown),
    password: url.password === '' ? undefined : decode(url.password, shown),
    db,
    tls: url.protocol === 'rediss:',
    prefix,
    redacted: shown,
  };
}

function decode(part: string, shown: string): string {
  try {
    return decodeURIComponent(part);
  } catch (cause) {
    throw new InvalidArgumentError(`bad percent-encoding in the credentials of "${shown}"`, { cause });
  }
}
