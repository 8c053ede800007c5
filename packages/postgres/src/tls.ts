import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { InvalidArgumentError } from '@baton/core/adapter';
import type { PostgresUrl } from './url.js';

/**
 * pg's `ssl` setting for libpq's `sslmode`, with libpq's meaning (pg 8 reads `sslmode=require`
 * in a connection string as verify-full; Baton parses the URL itself and keeps libpq's):
 * - `disable`, `allow`: no TLS (`allow` would try TLS only after a plain connection failed);
 * - `prefer` (the default): TLS without verification, plain if the server has no TLS;
 * - `require`: TLS without verification; with `sslrootcert`, verified as `verify-ca`;
 * - `verify-ca`: the chain must lead to a trusted CA, whatever name the certificate bears;
 * - `verify-full`: that, and the certificate must name the host.
 * Trusted CAs: `sslrootcert` (a PEM file, or `system` for Node's store); without it,
 * `~/.postgresql/root.crt` if it exists, as libpq, else Node's store.
 * @throws InvalidArgumentError when `sslrootcert` cannot be read.
 */
export async function tlsOptions(url: PostgresUrl): Promise<false | ConnectionOptions> {
  const mode = url.sslMode === 'require' && url.sslRootCert !== undefined ? 'verify-ca' : url.sslMode;
  switch (mode) {
    case 'disable':
    case 'allow':
      return false;
    case 'prefer':
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { ...(await trustedCas(url.sslRootCert)), rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...(await trustedCas(url.sslRootCert)), rejectUnauthorized: true };
  }
}

async function trustedCas(rootCert: string | undefined): Promise<{ ca?: string }> {
  if (rootCert === 'system') return {};
  const path = rootCert ?? join(homedir(), '.postgresql', 'root.crt');
  try {
    return { ca: await readFile(path, 'utf8') };
  } catch (cause) {
    if (rootCert === undefined) return {};
    throw new InvalidArgumentError(`sslrootcert "${rootCert}" cannot be read`, { cause });
  }
}

/** pg's error when the server answered the TLS request with "no". */
export function isTlsRefused(error: unknown): boolean {
  return error instanceof Error && /does not support SSL/i.test(error.message);
}
