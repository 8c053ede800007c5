import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One user of the test API server, authenticated by a bearer token from the static token file. */
export interface KubernetesUser {
  /** The user name RBAC sees. */
  readonly name: string;
  readonly token: string;
  /** A kubeconfig with this user as its current context, in the namespace for tests. */
  readonly kubeconfig: string;
}

/** The files a local API server is started with, made fresh for each server. */
export interface KubernetesCredentials {
  /** PEM of the self-signed CA that signed the serving certificate. */
  readonly caFile: string;
  readonly servingCertFile: string;
  readonly servingKeyFile: string;
  /** Signs and verifies service account tokens; the API server refuses to start without them. */
  readonly serviceAccountKeyFile: string;
  readonly serviceAccountPublicKeyFile: string;
  /** The static token file (`token,user,uid,"groups"`). */
  readonly tokenFile: string;
  /** In group system:masters, which RBAC never refuses. */
  readonly admin: KubernetesUser;
  /** In no group of its own: it can do only what the test namespace's Role grants it. */
  readonly elector: KubernetesUser;
}

export const ADMIN_USER = 'baton-admin';
export const ELECTOR_USER = 'baton-elector';

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir, timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${error instanceof Error ? error.message : String(error)}\n${stderr}`);
  }
}

// Own configuration files, so that the system's openssl.cnf cannot add or clash with extensions.
const CA_CONFIG = `[req]
distinguished_name = dn
prompt = no
x509_extensions = ca
[dn]
CN = baton-test-ca
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;

const SERVING_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = kube-apiserver
`;

const SERVING_EXTENSIONS = `basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
authorityKeyIdentifier = keyid
`;

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const DAYS = '7';

/** A self-signed CA, a serving certificate for 127.0.0.1 and localhost signed by it, and a service account key pair. */
async function makeCertificates(dir: string): Promise<void> {
  await writeFile(join(dir, 'ca.cnf'), CA_CONFIG);
  await writeFile(join(dir, 'serving.cnf'), SERVING_CONFIG);
  await writeFile(join(dir, 'serving.ext'), SERVING_EXTENSIONS);
  // biome-ignore format: flag and value pairs
  await openssl(dir, ['req', '-x509', ...EC_KEY, '-config', 'ca.cnf', '-days', DAYS, '-keyout', 'ca.key', '-out', 'ca.crt']);
  // biome-ignore format: flag and value pairs
  await openssl(dir, ['req', '-new', ...EC_KEY, '-config', 'serving.cnf', '-keyout', 'serving.key', '-out', 'serving.csr']);
  // biome-ignore format: flag and value pairs
  await openssl(dir, [
    'x509', '-req', '-in', 'serving.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
    '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', DAYS,
    '-extfile', 'serving.ext', '-out', 'serving.crt',
  ]);
  await openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'sa.key']);
  await openssl(dir, ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

/** A kubeconfig for one user; JSON is YAML, and every kubeconfig loader reads it. */
export function kubeconfig(server: string, caFile: string, user: string, token: string, namespace: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'baton-test', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'baton-test', user, namespace } }],
    'current-context': user,
    preferences: {},
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Makes every file a local API server on `server` (https://127.0.0.1:PORT) needs, in `dir`. */
export async function makeCredentials(dir: string, server: string, namespace: string): Promise<KubernetesCredentials> {
  await makeCertificates(dir);
  const caFile = join(dir, 'ca.crt');
  const user = async (name: string): Promise<KubernetesUser> => {
    const token = randomBytes(24).toString('hex');
    const file = join(dir, `${name}.kubeconfig`);
    await writeFile(file, kubeconfig(server, caFile, name, token, namespace), { mode: 0o600 });
    return { name, token, kubeconfig: file };
  };
  const admin = await user(ADMIN_USER);
  const elector = await user(ELECTOR_USER);
  const tokenFile = join(dir, 'tokens.csv');
  await writeFile(
    tokenFile,
    `${admin.token},${admin.name},${admin.name},"system:masters"\n${elector.token},${elector.name},${elector.name}\n`,
    { mode: 0o600 },
  );
  return {
    caFile,
    servingCertFile: join(dir, 'serving.crt'),
    servingKeyFile: join(dir, 'serving.key'),
    serviceAccountKeyFile: join(dir, 'sa.key'),
    serviceAccountPublicKeyFile: join(dir, 'sa.pub'),
    tokenFile,
    admin,
    elector,
  };
}
