import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { env } from './env.js';

// describe() blocks are registered synchronously, so "is there a Docker engine?" must be
// answered synchronously too: a child node process pings the engine API and exits 0 or 1.
const PING_SOURCE = `
const http = require('node:http');
const net = require('node:net');
const [target] = process.argv.slice(1);
const done = (ok) => process.exit(ok ? 0 : 1);
if (target.startsWith('tcp://')) {
  // The engine may want TLS; an open port is taken as reachable and testcontainers does the rest.
  const { hostname, port } = new URL(target);
  const socket = net.connect({ host: hostname, port: Number(port) || 2375 }, () => done(true));
  socket.on('error', () => done(false));
} else {
  const request = http.get({ socketPath: target, path: '/_ping', timeout: 2000 }, (response) => done(response.statusCode === 200));
  request.on('error', () => done(false));
  request.on('timeout', () => done(false));
}
`;

function candidates(): string[] {
  const dockerHost = env('DOCKER_HOST');
  if (dockerHost) {
    if (dockerHost.startsWith('unix://')) return [dockerHost.slice('unix://'.length)];
    if (dockerHost.startsWith('tcp://')) return [dockerHost];
    return [];
  }
  const sockets = ['/var/run/docker.sock', join(homedir(), '.docker', 'run', 'docker.sock')];
  const runtime = env('XDG_RUNTIME_DIR');
  if (runtime) sockets.push(join(runtime, 'docker.sock'), join(runtime, 'podman', 'podman.sock'));
  return sockets.filter((socket) => existsSync(socket));
}

let cached: { reachable: boolean; how: string } | undefined;

/** Whether a Docker engine answers; checked once per process. */
export function dockerEngine(): { reachable: boolean; how: string } {
  if (cached) return cached;
  cached = { reachable: false, how: 'no Docker engine' };
  for (const target of candidates()) {
    const result = spawnSync(process.execPath, ['-e', PING_SOURCE, target], { timeout: 5_000, stdio: 'ignore' });
    if (result.status === 0) {
      cached = { reachable: true, how: `Docker engine at ${target}` };
      break;
    }
  }
  return cached;
}
