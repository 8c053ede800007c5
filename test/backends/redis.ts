import { join } from 'node:path';
import { findProgram } from './binaries.js';
import type { BackendDriver } from './driver.js';
import { dataDir, LocalServer, makeServerDir } from './local-server.js';
import { freePorts } from './ports.js';
import { redisPing } from './probes.js';
import type { ServerHandle, StartOptions } from './types.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;
export const REDIS_IMAGE = 'redis:7.4.2';

function persistenceArgs(options: StartOptions): string[] {
  // No RDB snapshots ever: a snapshot fork on a busy 2-core machine only adds latency. The
  // AOF is what redisPersistence turns on, so data survives restart() and kill().
  return ['--save', '', '--appendonly', options.redisPersistence ? 'yes' : 'no', '--appendfsync', 'always'];
}

async function startLocal(options: StartOptions): Promise<ServerHandle> {
  const found = redisDriver.findLocal();
  if (!found.found) throw new Error(`redis: ${found.reason}`);
  const [port] = (await freePorts(1)) as [number];
  const dir = await makeServerDir('redis');
  return LocalServer.start(
    {
      kind: 'redis',
      name: 'redis',
      host: HOST,
      port,
      url: `redis://${HOST}:${port}`,
      readyTimeoutMs: READY_TIMEOUT_MS,
      stopGraceMs: 5_000,
      async prepare(serverDir, wipe) {
        await dataDir(serverDir, wipe);
      },
      launch: (serverDir) => ({
        command: found.path,
        // biome-ignore format: flag and value pairs
        args: [
          '--port', String(port),
          '--bind', HOST,
          '--dir', join(serverDir, 'data'),
          '--daemonize', 'no',
          ...persistenceArgs(options),
        ],
      }),
      serving: () => redisPing(HOST, port),
      ready: () => redisPing(HOST, port),
    },
    dir,
  );
}

export const redisDriver: BackendDriver = {
  kind: 'redis',
  envVar: 'BATON_REDIS_URL',
  defaultPort: 6379,
  program: 'redis-server binary',
  readyTimeoutMs: READY_TIMEOUT_MS,
  findLocal: () => findProgram('BATON_REDIS_BIN', ['redis-server'], 'no redis-server binary'),
  startLocal,
  container: (options) => ({
    image: REDIS_IMAGE,
    containerPort: 6379,
    command: ['redis-server', ...persistenceArgs(options)],
  }),
  ready: redisPing,
};
