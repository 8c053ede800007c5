import { createRequire } from 'node:module';
import type { StoreHooks } from '@baton/conformance';
import type { Backend } from '@baton/core';
import { fourLetterWord } from '../../../test/backends/probes.js';
import { ZooKeeperBackend } from '../src/backend.js';
import { electionPath, inLineOrder } from '../src/paths.js';

/** The slice of the `zookeeper` package's promise client the hooks use. */
interface RawClient {
  init(config: Record<string, unknown>): unknown;
  close(): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  get_children(path: string, watch: boolean): Promise<string[]>;
  delete_(path: string, version: number): Promise<void>;
  create(path: string, data: string, flags: number): Promise<string>;
  readonly client_id: string;
  readonly client_password: string;
}
type RawClientClass = new (config: Record<string, unknown>) => RawClient;

const ZOO_EPHEMERAL = 1;

const require = createRequire(import.meta.url);
const RawZooKeeper = (require('zookeeper') as { Promise: RawClientClass }).Promise;

function backendOf(backend: Backend): ZooKeeperBackend {
  if (!(backend instanceof ZooKeeperBackend)) throw new Error(`not a zookeeper backend: ${backend.kind}`);
  return backend;
}

/** Opens a raw client; with `session`, it attaches to an existing session instead of making one. */
function openRaw(
  hosts: string,
  timeoutMs: number,
  session?: { id: string; password: string },
): Promise<{ client: RawClient; closed: Promise<number> }> {
  const client = new RawZooKeeper({
    connect: hosts,
    timeout: timeoutMs,
    debug_level: 0,
    ...(session ? { client_id: session.id, client_password: session.password } : {}),
  });
  const closed = new Promise<number>((resolve) => client.on('close', (...args) => resolve(Number(args[1]))));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`no ZooKeeper session at ${hosts} within 5 s`));
    }, 5_000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve({ client, closed });
    });
    // Refused at the handshake (a wrong password): the client closes itself.
    void closed.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the ZooKeeper handshake was refused (${code})`));
    });
    client.init({});
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface ZooKeeperHooks {
  readonly hooks: StoreHooks;
  close(): Promise<void>;
}

/**
 * Store hooks for ZooKeeper, acting through separate raw clients of the `zookeeper` package.
 * They know Baton's layout: `${chroot}/baton/${election}/n_<nonce>_<sequence>`, the lowest
 * sequence leading.
 *
 * @param hosts `host:port[,host:port]` of the servers.
 * @param ttlMs session timeout of the outsider that overwriteLeaderKey leaves in the leader's place.
 */
export function zookeeperHooks(hosts: string, ttlMs: number, chroot = ''): ZooKeeperHooks {
  const outsiders = new Set<RawClient>();
  const timers = new Set<NodeJS.Timeout>();
  let admin: Promise<RawClient> | undefined;
  // A store restarted by an earlier case (its data wiped) ends the admin's session; the
  // next hook then opens a new one instead of failing with ZINVALIDSTATE.
  const adminClient = async (): Promise<RawClient> => {
    const current = admin;
    if (current) {
      const client = await current;
      // The C client's dead states are negative: session expired (-112), auth failed (-113).
      if (((client as unknown as { state?: number }).state ?? 0) >= 0) return client;
      client.close();
      if (admin === current) admin = undefined;
    }
    admin ??= openRaw(hosts, 10_000).then(({ client }) => client);
    return admin;
  };
  /**
   * Runs `use` on the outside client. A session that expired (the server restarted, or was
   * frozen past the session's timeout) leaves the client unusable for good: it is then
   * replaced by a new session and `use` runs once more.
   */
  const withAdmin = async <T>(use: (client: RawClient) => Promise<T>): Promise<T> => {
    const client = await adminClient();
    try {
      return await use(client);
    } catch (error) {
      if (!/ZINVALIDSTATE|ZSESSIONEXPIRED/.test(String(error))) throw error;
      // Forget this client unless another call has replaced it already.
      if ((await admin?.catch(() => undefined)) === client) admin = undefined;
      client.close();
      return use(await adminClient());
    }
  };
  const [firstHost = '127.0.0.1:2181'] = hosts.split(',');
  const [host = '127.0.0.1', port = '2181'] = firstHost.split(':');

  const leaderPath = async (election: string): Promise<string> => {
    const base = electionPath(chroot, election);
    const head = inLineOrder(await withAdmin((client) => client.get_children(base, false)))[0];
    if (!head) throw new Error(`election ${election} has no candidate node`);
    return `${base}/${head.name}`;
  };

  const hooks: StoreHooks = {
    // ZooKeeper cannot expire a session on request. The standard trick: attach a second
    // client to the session (same id and password) and close it, which ends the session in
    // the server. Attaching moves the session to the second connection, so the backend's own
    // client sees its connection drop first, and sometimes reconnects before the close
    // arrives; then the trick is repeated until the backend has seen its session expire.
    async expireSession(backend) {
      const target = backendOf(backend);
      const id = target.sessionId;
      const password = target.sessionPassword;
      if (!id || !password) throw new Error('the client holds no ZooKeeper session');
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          const { client, closed } = await openRaw(hosts, ttlMs, { id, password });
          client.close();
          await closed;
        } catch {
          // The session is already gone: the handshake was refused as expired.
        }
        for (let waited = 0; waited < 1_000; waited += 50) {
          if (target.sessionId !== id) return;
          await sleep(50);
        }
      }
      throw new Error(`session ${id} did not expire`);
    },
    async deleteLeaderKey(election) {
      const path = await leaderPath(election);
      await withAdmin((client) => client.delete_(path, -1));
    },
    // An ephemeral node's owner cannot change: delete the leader's node and create an
    // outsider's EPHEMERAL node at the very same path, on a session that lasts at most a ttl
    // (it is closed after ttl, which deletes the node).
    async overwriteLeaderKey(election) {
      const path = await leaderPath(election);
      const { client: outsider } = await openRaw(hosts, ttlMs);
      outsiders.add(outsider);
      try {
        await withAdmin((client) => client.delete_(path, -1));
        await outsider.create(path, JSON.stringify({ id: 'outsider', value: 'overwritten' }), ZOO_EPHEMERAL);
      } finally {
        const timer = setTimeout(() => {
          timers.delete(timer);
          outsiders.delete(outsider);
          outsider.close();
        }, ttlMs);
        timers.add(timer);
      }
    },
    // Forces the backend's client to reconnect, keeping its session: a handshake with the
    // session's id and a wrong password makes the server drop the session's connection (it
    // does so before it checks the password), then refuse the handshake. The C client
    // reconnects with the right password; watches are restored by the client, and Baton
    // re-reads on reconnect.
    async breakWatches(backend) {
      const id = backendOf(backend).sessionId;
      if (!id) throw new Error('the client holds no ZooKeeper session');
      await openRaw(hosts, ttlMs, { id, password: '0'.repeat(32) }).then(
        ({ client }) => {
          client.close();
          throw new Error('the server accepted a wrong session password');
        },
        () => undefined,
      );
    },
    // Packets received by the server (the first one listed): with one session per client,
    // renewal and ping traffic does not grow with the elections a client holds.
    async renewalCount() {
      const stats = await fourLetterWord(host, Number(port), 'mntr', 2_000);
      const match = /^zk_packets_received\s+(\d+)$/m.exec(stats);
      if (!match?.[1]) throw new Error('mntr did not report zk_packets_received');
      return Number(match[1]);
    },
  };
  return {
    hooks,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const outsider of outsiders) outsider.close();
      outsiders.clear();
      if (admin) (await admin.catch(() => undefined))?.close();
    },
  };
}
