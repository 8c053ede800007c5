import { InvalidArgumentError, parseHostList, redactUrl } from '@baton/core/adapter';

export const DEFAULT_ZOOKEEPER_PORT = 2181;

export interface ZooKeeperUrl {
  /** `host:port` of every server, in the URL's order. */
  readonly hosts: readonly string[];
  /** Root under which Baton keeps its nodes, '' for none; never ends with '/'. */
  readonly chroot: string;
  /** Digest credentials, `user:password`, when the URL carries them. */
  readonly digest: string | undefined;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Parses `zookeeper://[user:pass@]host[:port][,host[:port]...][/chroot]`. Reads the raw
 * string: WHATWG URL parsing refuses a comma-separated host list.
 */
export function parseZooKeeperUrl(raw: string): ZooKeeperUrl {
  if (typeof raw !== 'string') throw new InvalidArgumentError('ZooKeeper URL must be a string');
  const match = /^zookeeper:\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/i.exec(raw);
  if (!match) {
    throw new InvalidArgumentError(`"${redactUrl(raw)}" is not zookeeper://[user:pass@]host:port[,host:port][/chroot]`);
  }
  const [, userInfo, , path, query, fragment] = match;
  if ((query !== undefined && query !== '?') || fragment !== undefined) {
    throw new InvalidArgumentError(`"${redactUrl(raw)}": zookeeper:// URLs take no query or fragment`);
  }
  const hosts = parseHostList(raw, DEFAULT_ZOOKEEPER_PORT).map(({ host, port }) => `${host}:${port}`);
  const chroot = parseChroot(path ?? '', raw);
  let digest: string | undefined;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    const user = decode(colon < 0 ? userInfo : userInfo.slice(0, colon), raw);
    const password = colon < 0 ? '' : decode(userInfo.slice(colon + 1), raw);
    if (user === '' || user.includes(':')) {
      throw new InvalidArgumentError(`"${redactUrl(raw)}": the digest user must be non-empty and without ":"`);
    }
    digest = `${user}:${password}`;
  }
  return { hosts, chroot, digest };
}

function parseChroot(path: string, raw: string): string {
  if (path === '' || path === '/') return '';
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  const segments = trimmed.slice(1).split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..' || segment === 'zookeeper') {
      throw new InvalidArgumentError(
        `"${redactUrl(raw)}": chroot segment "${segment}" must be A-Z a-z 0-9 . _ -, not "." "..", or "zookeeper"`,
      );
    }
  }
  return trimmed;
}

function decode(part: string, raw: string): string {
  try {
    return decodeURIComponent(part);
  } catch (cause) {
    throw new InvalidArgumentError(`"${redactUrl(raw)}" has a malformed percent-encoding`, { cause });
  }
}
