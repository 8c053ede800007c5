import { createRequire } from 'node:module';
import { within } from '@baton/conformance';
import { type Backend, connect, isBatonError, type Leadership } from '@baton/core';
import { sleep } from '@baton/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from '../../../test/backends/index.js';
import { fourLetterWord } from '../../../test/backends/probes.js';
import { ZooKeeperBackend } from '../src/index.js';
import { electionPath, inLineOrder } from '../src/paths.js';
import { type ZooKeeperHooks, zookeeperHooks } from './hooks.js';

const TTL_MS = 2_000;

interface RawClient {
  init(config: Record<string, unknown>): unknown;
  close(): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  readonly state: number;
  get_children(path: string, watch: boolean): Promise<string[]>;
  delete_(path: string, version: number): Promise<void>;
  exists(path: string, watch: boolean): Promise<{ czxid: number }>;
  create(path: string, data: string, flags: number): Promise<string>;
}
const RawZooKeeper = (createRequire(import.meta.url)('zookeeper') as { Promise: new (c: object) => RawClient }).Promise;

async function raw(hosts: string): Promise<RawClient> {
  const client = new RawZooKeeper({ connect: hosts, timeout: 10_000, debug_level: 0 });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('raw client did not connect')), 5_000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    client.init({});
  });
  return client;
}

describeBackend('zookeeper')('@baton/zookeeper against a real server', () => {
  let server: ServerHandle | undefined;
  let hosts = '';
  let hooks: ZooKeeperHooks | undefined;
  let admin: RawClient | undefined;
  const backends: Backend[] = [];
  const raws: RawClient[] = [];

  const client = async (url = server?.url ?? '', options: Parameters<typeof connect>[1] = {}): Promise<Backend> => {
    const backend = await connect(url, { ttlMs: TTL_MS, connectTimeoutMs: 5_000, ...options });
    backends.push(backend);
    return backend;
  };
  const unique = (label: string): string => `adapter/${label}/${Math.random().toString(36).slice(2, 10)}`;

  beforeAll(async () => {
    server = await startServer('zookeeper');
    hosts = `${server.host}:${server.port}`;
    hooks = zookeeperHooks(hosts, TTL_MS);
    admin = await raw(hosts);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(backends.map((backend) => backend.close()));
    for (const client of raws) client.close();
    admin?.close();
    await hooks?.close();
    await server?.stop();
  }, 30_000);

  describe('session timeout', () => {
    it('reports the timeout the server negotiated as the ttl', async () => {
      const backend = await client();
      expect(backend.ttlMs).toBe(TTL_MS);
      expect(backend.capabilities.minTtlMs).toBeLessThanOrEqual(TTL_MS);
      expect(backend.capabilities).toMatchObject({ fifo: true, leaderRead: 'sequential', notify: 'watch' });
      expect(backend).toBeInstanceOf(ZooKeeperBackend);
    });

    it("raises a ttl below the server's minimum to it, refuses one above its maximum, and refuses a raise under strictTtl", async () => {
      // The harness's server: tickTime 200 ms, so sessions of 400 ms to 60 s.
      const raised = await connect(server?.url ?? '', { ttlMs: 100, connectTimeoutMs: 5_000 });
      backends.push(raised);
      expect(raised.ttlMs).toBe(400);
      for (const options of [{ ttlMs: 120_000 }, { ttlMs: 100, strictTtl: true }]) {
        const error = await connect(server?.url ?? '', { ...options, connectTimeoutMs: 5_000 }).then(
          (backend) => {
            backends.push(backend);
            return undefined;
          },
          (reason: unknown) => reason,
        );
        expect(isBatonError(error, 'ERR_INVALID_ARGUMENT'), String(error)).toBe(true);
        expect(String(error)).toMatch(/(60000|400) ms/);
      }
    });
  });

  describe('tokens and line', () => {
    it('the token is the czxid: it grows even when the election node is recreated and sequences restart', async () => {
      const backend = await client();
      const name = unique('recreated');
      const base = electionPath('', name);
      const first = await backend.election(name).campaign({ id: 'a' });
      const firstName = inLineOrder((await admin?.get_children(base, false)) ?? [])[0]?.name ?? '';
      expect(BigInt((await admin?.exists(`${base}/${firstName}`, false))?.czxid ?? 0)).toBe(first.token);
      await first.resign();
      await admin?.delete_(base, -1);
      const second = await backend.election(name).campaign({ id: 'a' });
      const secondName = inLineOrder((await admin?.get_children(base, false)) ?? [])[0]?.name ?? '';
      expect(firstName.slice(-10)).toBe('0000000000');
      expect(secondName.slice(-10)).toBe('0000000000');
      expect(second.token).toBeGreaterThan(first.token);
      await second.resign();
    });

    it('waiters watch only their predecessor (no herd)', async () => {
      const name = unique('herd');
      const base = electionPath('', name);
      const clients = await Promise.all(Array.from({ length: 5 }, () => client()));
      const leader = await clients[0]?.election(name).campaign({ id: 'c0' });
      const waiting: Promise<Leadership>[] = [];
      for (let i = 1; i < clients.length; i++) {
        waiting.push(clients[i]?.election(name).campaign({ id: `c${i}` }) as Promise<Leadership>);
        await sleep(100);
      }
      for (const pending of waiting) pending.catch(() => undefined);
      await sleep(300);
      const line = inLineOrder((await admin?.get_children(base, false)) ?? []);
      expect(line).toHaveLength(5);
      const watches = await fourLetterWord(server?.host ?? '', server?.port ?? 0, 'wchp', 2_000);
      const watchersOf = (path: string): number => {
        const section = watches.split(/\n(?=\/)/).find((block) => block.startsWith(`${path}\n`));
        return section ? section.split('\n').filter((entry) => /^\s*0x/.test(entry)).length : 0;
      };
      // Each node: its owner's own data watch (deposition) + at most one waiter: its successor.
      for (const [i, child] of line.entries()) {
        const expected = (i === 0 ? 1 : 0) + (i < line.length - 1 ? 1 : 0);
        expect(watchersOf(`${base}/${child.name}`), `${child.name}\n${watches}`).toBe(expected);
      }
      await leader?.resign();
      const next = await within('c1', 5_000, waiting[0] as Promise<Leadership>);
      expect(next.id).toBe('c1');
      expect(next.token).toBeGreaterThan(leader?.token ?? 0n);
    });
  });

  describe('loss policy', () => {
    it("onDisconnect 'abort' (the default) ends the leadership at once when the connection drops", async () => {
      const backend = await client();
      const other = await client();
      const name = unique('abort');
      const leadership = await backend.election(name).campaign({ id: 'a' });
      const waiting = other.election(name).campaign({ id: 'b' });
      const before = (backend as ZooKeeperBackend).sessionId;
      await hooks?.hooks.breakWatches(backend);
      expect(await within('the loss', 1_000, leadership.ended)).toBe('connection-lost');
      // The session is closed, never reused: its node goes at once and the waiter leads.
      const successor = await within('the waiter', TTL_MS, waiting);
      expect(successor.token).toBeGreaterThan(leadership.token);
      await successor.resign();
      const again = await backend.election(name).campaign({ id: 'a' });
      expect((backend as ZooKeeperBackend).sessionId).not.toBe(before);
      expect(again.token).toBeGreaterThan(successor.token);
      await again.resign();
    });

    it("onDisconnect 'tolerate-until-deadline' rides out a reconnect and keeps the same leadership", async () => {
      const backend = await client(undefined, { onDisconnect: 'tolerate-until-deadline' });
      const name = unique('tolerate');
      const leadership = await backend.election(name).campaign({ id: 'a', value: 'v1' });
      const before = (backend as ZooKeeperBackend).sessionId;
      await hooks?.hooks.breakWatches(backend);
      await sleep(TTL_MS * 1.5);
      expect(leadership.isLeader).toBe(true);
      expect((backend as ZooKeeperBackend).sessionId).toBe(before);
      await leadership.proclaim('v2');
      expect(await backend.election(name).leader()).toEqual({ id: 'a', value: 'v2', token: leadership.token });
      await leadership.resign();
    });

    it("observe() under 'abort' survives its connection dropping, on a new session", async () => {
      const watcher = await client();
      const leaderClient = await client();
      const name = unique('observe-abort');
      const controller = new AbortController();
      const seen: (string | undefined)[] = [];
      const iterating = (async () => {
        for await (const state of watcher.election(name).observe({ signal: controller.signal })) {
          seen.push(state === undefined ? undefined : `${state.id}:${state.value ?? ''}`);
        }
      })();
      const until = async (what: string, predicate: () => boolean): Promise<void> => {
        for (let waited = 0; !predicate(); waited += 20) {
          if (waited > 5_000) throw new Error(`timed out waiting for ${what}; seen ${JSON.stringify(seen)}`);
          await sleep(20);
        }
      };
      await until('the vacant start', () => seen.length === 1);
      const before = (watcher as ZooKeeperBackend).sessionId;
      await hooks?.hooks.breakWatches(watcher);
      const leadership = await leaderClient.election(name).campaign({ id: 'l', value: 'a' });
      await until('the leader', () => seen.at(-1) === 'l:a');
      for (let i = 0; i < 20; i++) await leadership.proclaim(`v${i}`);
      await until('the last value', () => seen.at(-1) === 'l:v19');
      expect((watcher as ZooKeeperBackend).sessionId).not.toBe(before);
      await leadership.resign();
      await until('the vacancy', () => seen.at(-1) === undefined);
      controller.abort();
      await within('the observer to end', 2_000, iterating);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
    });

    it("an expired session ends the leadership as 'expired', and the next campaign runs on a new session", async () => {
      const backend = await client(undefined, { onDisconnect: 'tolerate-until-deadline' });
      const name = unique('expired');
      const leadership = await backend.election(name).campaign({ id: 'a' });
      const before = (backend as ZooKeeperBackend).sessionId;
      await hooks?.hooks.expireSession(backend);
      expect(await within('the loss', TTL_MS, leadership.ended)).toBe('expired');
      const again = await backend.election(name).campaign({ id: 'a' });
      expect((backend as ZooKeeperBackend).sessionId).not.toBe(before);
      expect(again.token).toBeGreaterThan(leadership.token);
      await again.resign();
    });
  });

  describe('digest auth and chroot', () => {
    it('creates election nodes under the chroot that clients without the credentials cannot delete', async () => {
      const url = `zookeeper://baton:s3cret@${hosts}/auth-test`;
      const name = unique('acl');
      const base = electionPath('/auth-test', name);
      const owner = await client(url);
      const leadership = await owner.election(name).campaign({ id: 'owner' });
      const [child] = (await admin?.get_children(base, false)) ?? [];
      expect(child).toMatch(/^n_[0-9a-f]+_\d{10}$/);
      // ZooKeeper checks a delete against the parent's ACL: only the digest user may.
      await expect(admin?.delete_(`${base}/${child}`, -1)).rejects.toThrow(/-102/);
      // A client without the credentials can read but not campaign.
      const stranger = await client(`zookeeper://${hosts}/auth-test`);
      expect(await stranger.election(name).leader()).toEqual({ id: 'owner', token: leadership.token });
      await expect(stranger.election(name).campaign({ id: 'stranger' })).rejects.toMatchObject({ code: 'ERR_AUTH' });
      // Another client with the same credentials takes part.
      const peer = await client(url);
      const waiting = peer.election(name).campaign({ id: 'peer' });
      await sleep(200);
      await leadership.resign();
      const next = await within('the peer', 5_000, waiting);
      expect(next.token).toBeGreaterThan(leadership.token);
      await next.resign();
    });
  });

  describe('options.client', () => {
    it('uses a connected client it was given, and neither closes it nor leaves nodes on it', async () => {
      const given = await raw(hosts);
      raws.push(given);
      const backend = await connect(server?.url ?? '', { ttlMs: TTL_MS, client: given });
      const name = unique('adopted');
      const leadership = await backend.election(name).campaign({ id: 'adopted' });
      expect(backend.ttlMs).toBe(10_000);
      const waiting = (await client()).election(name).campaign({ id: 'next' });
      await backend.close();
      expect(await leadership.ended).toBe('closed');
      const next = await within('takeover after close', 5_000, waiting);
      expect(next.token).toBeGreaterThan(leadership.token);
      expect(given.state).toBe(3);
      await next.resign();
    });

    it('refuses something that is not a zookeeper client', async () => {
      await expect(connect(server?.url ?? '', { ttlMs: TTL_MS, client: {} })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    });
  });
});
