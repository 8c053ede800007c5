import type { BackendDriver } from './driver.js';
import type { ServerHandle } from './types.js';

/**
 * The first `host:port` of a URL like `etcd://a:2379,b:2379`, `redis://:secret@host:6380/0` or
 * `http://host:8500`. The URL class cannot parse comma-separated hosts, so this is by hand.
 */
export function firstHostPort(url: string, defaultPort: number): { host: string; port: number } {
  const afterScheme = url.includes('://') ? url.slice(url.indexOf('://') + 3) : url;
  const authority = afterScheme.split(/[/?#]/)[0] ?? '';
  const first = (authority.split(',')[0] ?? '').split('@').pop() ?? '';
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(first);
  const [host, port] = bracketed ? [bracketed[1], bracketed[2]] : first.split(':');
  if (!host) throw new Error(`cannot find a host in ${url}`);
  return { host, port: port ? Number(port) : defaultPort };
}

function notSupported(driver: BackendDriver, url: string, action: string): Promise<never> {
  return Promise.reject(
    new Error(
      `${action}() is not supported for external servers (${driver.envVar}=${url}); ` +
        `unset ${driver.envVar} to let the harness start a ${driver.kind} server of its own`,
    ),
  );
}

/** A server someone else runs: the harness only hands out its address. */
export function externalServer(driver: BackendDriver, url: string): ServerHandle {
  const { host, port } = firstHostPort(url, driver.defaultPort);
  return {
    kind: driver.kind,
    url,
    host,
    port,
    source: 'env',
    // Not ours to stop.
    stop: async () => {},
    restart: () => notSupported(driver, url, 'restart'),
    pause: () => notSupported(driver, url, 'pause'),
    resume: () => notSupported(driver, url, 'resume'),
    kill: () => notSupported(driver, url, 'kill'),
  };
}
