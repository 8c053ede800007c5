import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Backend, connect, type Leadership } from '@baton/core';
import { sleep } from '@baton/core/adapter';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findProgram } from '../../../test/backends/binaries.js';
import { describeBackend } from '../../../test/backends/index.js';
import { freePorts } from '../../../test/backends/ports.js';
import { type ServerProcess, spawnServer } from '../../../test/backends/process.js';
import { trackDir, untrackDir } from '../../../test/backends/reaper.js';
import { hashSlot } from '../src/keys.js';

const HOST = '127.0.0.1';
const TTL_MS = 1_500;
const run = promisify(execFile);

/** EVALSHA + EVAL calls summed over the nodes, from INFO commandstats. */
async function scriptCalls(nodes: readonly Redis[]): Promise<number> {
  let total = 0;
  for (const node of nodes) {
    const info = await node.info('commandstats');
    for (const command of ['evalsha', 'eval']) {
      const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
      if (match?.[1]) total += Number(match[1]);
    }
  }
  return total;
}

// The harness has no Redis Cluster mode; this file starts three masters of its own (pids and
// directory registered with the harness reaper) and joins them with redis-cli --cluster create.
describeBackend('redis')('redis: a Redis Cluster client given through options.client', () => {
  const processes: ServerProcess[] = [];
  const admins: Redis[] = [];
  const backends: Backend[] = [];
  const givenClients: Cluster[] = [];
  let dir = '';
  let ports: number[] = [];

  beforeAll(async () => {
    const server = findProgram('BATON_REDIS_BIN', ['redis-server'], 'no redis-server binary');
    const cli = findProgram('BATON_REDIS_CLI', ['redis-cli'], 'no redis-cli binary');
    if (!server.found || !cli.found) throw new Error('redis-server and redis-cli are needed for the cluster test');
    dir = await mkdtemp(join(tmpdir(), 'baton-redis-cluster-'));
    trackDir(dir);
    const all = await freePorts(6);
    ports = all.slice(0, 3);
    for (const [i, port] of ports.entries()) {
      const nodeDir = join(dir, `n${i}`);
      await run('mkdir', ['-p', nodeDir]);
      // biome-ignore format: flag and value pairs
      const args = [
        '--port', String(port), '--bind', HOST, '--dir', nodeDir,
        '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
        '--cluster-port', String(all[i + 3]), '--cluster-node-timeout', '2000',
        '--save', '', '--appendonly', 'no',
      ];
      processes.push(await spawnServer(server.path, args, { cwd: nodeDir, logFile: join(nodeDir, 'server.log') }));
    }
    for (const port of ports) {
      const admin = new Redis({
        host: HOST,
        port,
        maxRetriesPerRequest: 1,
        retryStrategy: (n) => Math.min(n * 50, 500),
      });
      admin.on('error', () => {});
      admins.push(admin);
    }
    for (const admin of admins) {
      for (let i = 0; i < 100 && (await admin.ping().catch(() => 'no')) !== 'PONG'; i++) await sleep(50);
    }
    await run(
      cli.path,
      ['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: 30_000 },
    );
    for (const admin of admins) {
      for (let i = 0; i < 200; i++) {
        if (/cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO')))) break;
        await sleep(50);
      }
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(backends.map((backend) => backend.close()));
    for (const client of givenClients) client.disconnect();
    for (const admin of admins) admin.disconnect();
    await Promise.allSettled(processes.map((process) => process.terminate(5_000)));
    if (dir) {
      await rm(dir, { recursive: true, force: true });
      untrackDir(dir);
    }
  }, 30_000);

  const clusterBackend = async (): Promise<{ backend: Backend; client: Cluster }> => {
    const client = new Cluster([{ host: HOST, port: ports[0] as number }], { lazyConnect: true });
    client.on('error', () => {});
    givenClients.push(client);
    const backend = await connect(`redis://${HOST}:${ports[0]}`, { client, ttlMs: TTL_MS, connectTimeoutMs: 5_000 });
    backends.push(backend);
    return { backend, client };
  };

  it('leads elections on every node, renews them per slot, hands over through pub/sub, and fences', async () => {
    const [{ backend: a, client: clientA }, { backend: b }] = [await clusterBackend(), await clusterBackend()];
    const prefix = `cluster/${randomUUID().slice(0, 8)}`;
    const names = Array.from({ length: 24 }, (_, i) => `${prefix}/${i}`);
    const slots = new Set(names.map((name) => hashSlot(name)));
    const held: Leadership[] = await Promise.all(names.map((name) => a.election(name).campaign({ id: 'a' })));
    // The slots Baton batches by are the server's.
    const serverSlots = await Promise.all(
      names.map(async (name) => Number(await clientA.call('CLUSTER', 'KEYSLOT', `baton:{${name}}:owner`))),
    );
    expect(serverSlots).toEqual(names.map((name) => hashSlot(name)));
    // And the keys are spread over all three masters.
    const keysPerNode = await Promise.all(admins.map((admin) => admin.dbsize()));
    expect(keysPerNode.filter((count) => count > 0)).toHaveLength(3);

    const first = names[0] as string;
    const waiting = b.election(first).campaign({ id: 'b' });
    waiting.catch(() => undefined);

    const ticks = 4;
    const before = await scriptCalls(admins);
    await sleep((TTL_MS / 3) * ticks);
    const calls = (await scriptCalls(admins)) - before;
    expect(held.every((leadership) => leadership.isLeader)).toBe(true);
    // One script call per slot in use per tick (plus the waiter's polls), not one per round trip.
    expect(calls).toBeLessThanOrEqual((ticks + 1) * slots.size + 10);
    expect(calls).toBeGreaterThanOrEqual((ticks - 1) * slots.size);

    const resignedAt = performance.now();
    await held[0]?.resign();
    const successor = await waiting;
    expect(performance.now() - resignedAt).toBeLessThan(TTL_MS * 0.8);
    expect(successor.id).toBe('b');
    expect(successor.token).toBeGreaterThan(held[0]?.token ?? 0n);
    expect(await a.election(names[5] as string).leader()).toMatchObject({ id: 'a', token: held[5]?.token });

    await a.close();
    expect(new Set(await Promise.all(held.map((leadership) => leadership.ended)))).toEqual(
      new Set(['resigned', 'closed']),
    );
    // The given Cluster client stays open: the caller owns it.
    expect(clientA.status).toBe('ready');
    expect(await b.election(names[5] as string).leader()).toBeUndefined();
  }, 60_000);
});
