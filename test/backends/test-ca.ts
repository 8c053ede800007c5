import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable } from './binaries.js';

const run = promisify(execFile);

export interface ServerCertificates {
  /** The CA certificate a client verifies the server against. */
  readonly caFile: string;
  readonly certFile: string;
  /** The server's private key, mode 0600 and owned by `owner` when given. */
  readonly keyFile: string;
}

/** Owner of the server's key file, for a server that runs as another user than the tests. */
export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

// P-256 keys: made at once, where RSA keys take a noticeable fraction of a second each.
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A throwaway CA and a server certificate it signs for 127.0.0.1 and localhost, made with the
 * openssl command in `dir`, valid for two days. Tests verify the server against `caFile`.
 */
export async function makeServerCertificates(dir: string, owner?: FileOwner): Promise<ServerCertificates> {
  const openssl = findExecutable('openssl');
  if (!openssl) throw new Error('making test certificates needs the openssl command (Debian package openssl)');
  await mkdir(dir, { recursive: true });
  const file = (name: string): string => join(dir, name);
  const openSsl = async (args: string[]): Promise<void> => {
    try {
      await run(openssl, args, { cwd: dir });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(
        `openssl ${args[0]} failed: ${error instanceof Error ? error.message : String(error)}\n${stderr}`,
      );
    }
  };
  // biome-ignore format: flag and value pairs
  await openSsl([
    'req', '-x509', ...KEY,
    '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2',
    '-subj', '/CN=Baton test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  // biome-ignore format: flag and value pairs
  await openSsl(['req', '-new', ...KEY, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(
    file('server.ext'),
    [
      'subjectAltName = IP:127.0.0.1, DNS:localhost',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = serverAuth',
      '',
    ].join('\n'),
  );
  // biome-ignore format: flag and value pairs
  await openSsl([
    'x509', '-req', '-in', file('server.csr'),
    '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-out', file('server.crt'), '-days', '2', '-extfile', file('server.ext'),
  ]);
  // PostgreSQL refuses a key file that others can read.
  await chmod(file('server.key'), 0o600);
  if (owner) {
    // The server reads its key as its own user.
    for (const name of ['server.key', 'server.crt']) await chown(file(name), owner.uid, owner.gid);
  }
  return { caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}
