import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { type Found, findExecutable, findProgram } from './binaries.js';
import type { BackendDriver } from './driver.js';
import { LocalServer, makeServerDir } from './local-server.js';
import { freePorts } from './ports.js';
import { postgresAccepting } from './probes.js';
import { type FileOwner, makeServerCertificates } from './test-ca.js';
import type { ServerHandle, StartOptions } from './types.js';

const run = promisify(execFile);

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
export const POSTGRES_IMAGE = 'postgres:17.6';
/** The role and database tests use: an ordinary role that owns its database, as an application's would. */
const ROLE = 'app';
const DATABASE = 'app';
const SUPERUSER = 'postgres';
/** Credentials of the container, which lives only as long as the test that started it. */
const CONTAINER_PASSWORD = 'app';

/** Debian and Ubuntu keep each major version's programs in /usr/lib/postgresql/MAJOR/bin. */
function debianServers(): string[] {
  const root = '/usr/lib/postgresql';
  let majors: string[];
  try {
    majors = readdirSync(root).filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return majors.sort((a, b) => Number(b) - Number(a)).map((major) => join(root, major, 'bin', 'postgres'));
}

/** The postgres program; initdb must sit beside it. BATON_POSTGRES_BIN names the postgres program. */
function findLocal(): Found {
  const found = findProgram('BATON_POSTGRES_BIN', [...debianServers(), 'postgres'], 'no postgres server binary');
  if (!found.found) return found;
  if (!findExecutable(join(dirname(found.path), 'initdb'))) {
    return { found: false, reason: `no initdb beside ${found.path}` };
  }
  if (process.getuid?.() === 0 && !serverUser()) {
    return {
      found: false,
      reason: `PostgreSQL refuses to run as root and there is no "${SUPERUSER}" user to run it as (the postgresql package creates one)`,
    };
  }
  return found;
}

let cachedUser: FileOwner | null | undefined;

/** The postgres user to run the server as when the tests run as root; undefined otherwise. */
function serverUser(): FileOwner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (cachedUser === undefined) {
    try {
      // getent rather than /etc/passwd, so that users from other name services count too.
      const [, , uid, gid] = execFileSync('getent', ['passwd', SUPERUSER], { encoding: 'utf8' }).trim().split(':');
      cachedUser = { uid: Number(uid), gid: Number(gid) };
    } catch {
      cachedUser = null;
    }
  }
  return cachedUser ?? undefined;
}

function quoteSetting(value: string | number | boolean): string {
  const text = typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * What the harness adds to postgresql.conf. Tuning: fsync off (the tests model crashed
 * processes, which lose nothing the kernel has, not a crashed machine), and room for the
 * connections of many clients at once.
 */
function settings(
  dir: string,
  port: number,
  options: StartOptions,
  tls: { certFile: string; keyFile: string } | undefined,
): Record<string, string | number | boolean> {
  return {
    listen_addresses: HOST,
    port,
    unix_socket_directories: join(dir, 'socket'),
    ...(options.postgresStock ? {} : { fsync: false, full_page_writes: false, max_connections: 300 }),
    ...(tls ? { ssl: true, ssl_cert_file: tls.certFile, ssl_key_file: tls.keyFile } : {}),
    ...options.postgresSettings,
  };
}

// Passwords for every role, local connections included; nothing is trusted.
const HBA = [
  '# TYPE  DATABASE  USER  ADDRESS       METHOD',
  'local   all       all                 scram-sha-256',
  `host    all       all   ${HOST}/32  scram-sha-256`,
  '',
].join('\n');

async function initdb(program: string, data: string, superPassword: string, owner: FileOwner | undefined) {
  const pwfile = join(dirname(data), 'superuser.pw');
  await writeFile(pwfile, `${superPassword}\n`, { mode: 0o600 });
  if (owner) await chown(pwfile, owner.uid, owner.gid);
  try {
    // biome-ignore format: flag and value pairs
    await run(join(dirname(program), 'initdb'), [
      '--pgdata', data,
      '--username', SUPERUSER,
      '--pwfile', pwfile,
      '--auth', 'scram-sha-256',
      '--encoding', 'UTF8',
      '--no-locale',
      // The harness never models a machine crash, so skipping the final fsync is safe and quick.
      '--no-sync',
    ], { cwd: dirname(data), ...(owner ?? {}) });
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string };
    throw new Error(`initdb failed: ${error instanceof Error ? error.message : String(error)}\n${output.stderr ?? ''}`);
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** Creates the tests' role and database as the superuser. */
async function createRoleAndDatabase(port: number, superPassword: string, password: string): Promise<void> {
  const client = new pg.Client({
    host: HOST,
    port,
    user: SUPERUSER,
    password: superPassword,
    database: 'postgres',
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    // The password is hex from randomBytes: nothing to escape.
    await client.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${password}'`);
    await client.query(`CREATE DATABASE ${DATABASE} OWNER ${ROLE}`);
  } finally {
    await client.end();
  }
}

async function startLocal(options: StartOptions): Promise<ServerHandle> {
  const found = findLocal();
  if (!found.found) throw new Error(`postgres: ${found.reason}`);
  const program = found.path;
  const owner = serverUser();
  const [port] = (await freePorts(1)) as [number];
  const dir = await makeServerDir('postgres');
  // The server's own user must own its directory; the tests, as root, still read and remove it.
  if (owner) await chown(dir, owner.uid, owner.gid);
  const superPassword = randomBytes(12).toString('hex');
  const password = randomBytes(12).toString('hex');
  const tls = options.postgresTls ? await makeServerCertificates(join(dir, 'tls'), owner) : undefined;
  let fresh = false;
  const userInfo = (user: string, secret: string): string => `${user}:${secret}@${HOST}:${port}/${DATABASE}`;

  return LocalServer.start(
    {
      kind: 'postgres',
      name: 'postgres',
      host: HOST,
      port,
      url: `postgres://${userInfo(ROLE, password)}`,
      adminUrl: `postgres://${userInfo(SUPERUSER, superPassword)}`,
      ...(tls ? { caFile: tls.caFile } : {}),
      readyTimeoutMs: READY_TIMEOUT_MS,
      stopGraceMs: 10_000,
      // SIGTERM is a "smart" shutdown that waits for every client to disconnect; SIGINT ends
      // their sessions and shuts down at once, as a stop between tests should.
      stopSignal: 'SIGINT',
      processTree: true,
      async prepare(serverDir, wipe) {
        const data = join(serverDir, 'data');
        if (wipe) await rm(data, { recursive: true, force: true });
        const socket = join(serverDir, 'socket');
        await mkdir(socket, { recursive: true });
        if (owner) await chown(socket, owner.uid, owner.gid);
        if (existsSync(join(data, 'PG_VERSION'))) return;
        await initdb(program, data, superPassword, owner);
        await writeFile(join(data, 'pg_hba.conf'), HBA);
        const lines = Object.entries(settings(serverDir, port, options, tls)).map(
          ([name, value]) => `${name} = ${quoteSetting(value)}`,
        );
        await appendFile(join(data, 'postgresql.conf'), `\n# test/backends\n${lines.join('\n')}\n`);
        fresh = true;
      },
      launch: (serverDir) => ({ command: program, args: ['-D', join(serverDir, 'data')], ...(owner ?? {}) }),
      serving: () => postgresAccepting(HOST, port),
      ready: () => postgresAccepting(HOST, port),
      async setUp() {
        if (!fresh) return;
        await createRoleAndDatabase(port, superPassword, password);
        fresh = false;
      },
    },
    dir,
  );
}

export const postgresDriver: BackendDriver = {
  kind: 'postgres',
  envVar: 'BATON_POSTGRES_URL',
  defaultPort: 5432,
  program: 'postgres server binary',
  readyTimeoutMs: READY_TIMEOUT_MS,
  findLocal,
  startLocal,
  container(options) {
    if (options.postgresTls) throw new Error('postgresTls needs a local PostgreSQL server, not a container');
    const tuning = options.postgresStock ? {} : { fsync: false, full_page_writes: false, max_connections: 300 };
    return {
      image: POSTGRES_IMAGE,
      containerPort: 5432,
      command: [
        'postgres',
        ...Object.entries({ ...tuning, ...options.postgresSettings }).flatMap(([name, value]) => [
          '-c',
          `${name}=${typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value)}`,
        ]),
      ],
      environment: { POSTGRES_USER: ROLE, POSTGRES_PASSWORD: CONTAINER_PASSWORD, POSTGRES_DB: DATABASE },
      url: (host, port) => `postgres://${ROLE}:${CONTAINER_PASSWORD}@${host}:${port}/${DATABASE}`,
    };
  },
  ready: (host, port) => postgresAccepting(host, port),
};
