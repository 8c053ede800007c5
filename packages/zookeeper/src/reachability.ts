import { connect as connectTcp } from 'node:net';

/** Socket errors after which a host certainly serves nobody now: refused, unresolvable, unroutable. */
const DEFINITE_FAILURES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/** A host that answered a TCP connect with a definite failure. */
export interface UnreachableHost {
  readonly host: string;
  /** The socket error's code and message, e.g. `ECONNREFUSED`. */
  readonly cause: string;
}

/**
 * Opens (and at once closes) a TCP connection to every host, in parallel. Returns the hosts'
 * failures when every host failed definitely (refused, unresolvable, unroutable), otherwise
 * undefined: at least one host accepted, or some did not answer within `timeoutMs`, so a
 * session may still come and the caller waits for it as usual.
 *
 * The `zookeeper` package's C client retries a refused or unresolvable server silently
 * until the connect timeout, and reports no cause; this check is what lets `connect()` fail
 * within milliseconds, naming the host and the cause, as the other stores' clients do.
 */
export async function unreachableHosts(
  hosts: readonly string[],
  timeoutMs: number,
): Promise<readonly UnreachableHost[] | undefined> {
  const results = await Promise.all(hosts.map((host) => probe(host, timeoutMs)));
  return results.every((result) => result !== undefined) ? results : undefined;
}

function probe(hostAndPort: string, timeoutMs: number): Promise<UnreachableHost | undefined> {
  const colon = hostAndPort.lastIndexOf(':');
  const host = hostAndPort.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(hostAndPort.slice(colon + 1));
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port });
    const settle = (result: UnreachableHost | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => settle(undefined), timeoutMs);
    socket.once('connect', () => settle(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? '';
      settle(DEFINITE_FAILURES.has(code) ? { host: hostAndPort, cause: code } : undefined);
    });
  });
}
