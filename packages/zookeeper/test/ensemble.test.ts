import { within } from '@baton/conformance';
import type { Leadership } from '@baton/core';
import { connect } from '@baton/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ClusterHandle, describeBackend, type ServerHandle, startCluster } from '../../../test/backends/index.js';
import { fourLetterWord } from '../../../test/backends/probes.js';
import type { ZooKeeperBackend } from '../src/index.js';

// Three JVMs share two cores with the rest of the tests: a ttl with room for a ZooKeeper
// leader election and the C client's move to another server.
const TTL_MS = 4_000;

/** The member whose `cons` lists the session: the server this client is connected to. */
async function memberServing(members: readonly ServerHandle[], sessionId: string): Promise<ServerHandle> {
  for (let attempt = 0; attempt < 20; attempt++) {
    for (const member of members) {
      const connections = await fourLetterWord(member.host, member.port, 'cons', 2_000).catch(() => '');
      if (connections.includes(`sid=0x${sessionId}`)) return member;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no member lists session 0x${sessionId}`);
}

describeBackend('zookeeper')('zookeeper ensemble', () => {
  let cluster: ClusterHandle | undefined;
  const clients: ZooKeeperBackend[] = [];

  const client = async (): Promise<ZooKeeperBackend> => {
    if (!cluster) throw new Error('no cluster');
    const backend = (await connect(cluster.url, {
      ttlMs: TTL_MS,
      connectTimeoutMs: 10_000,
      onDisconnect: 'tolerate-until-deadline',
    })) as ZooKeeperBackend;
    clients.push(backend);
    return backend;
  };

  beforeAll(async () => {
    cluster = await startCluster('zookeeper', 3);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((backend) => backend.close()));
    await cluster?.stop();
  }, 60_000);

  it("under 'tolerate-until-deadline' the election goes on when the server a leader is connected to stops", {
    timeout: 90_000,
  }, async () => {
    if (!cluster) throw new Error('no cluster');
    const [a, b] = [await client(), await client()];
    const name = `ensemble/${Date.now()}`;
    const first = await a.election(name).campaign({ id: 'a', value: 'one' });
    const waiting = b.election(name).campaign({ id: 'b' });
    waiting.catch(() => undefined);
    expect(await b.election(name).leader()).toEqual({ id: 'a', value: 'one', token: first.token });

    const sessionId = a.sessionId;
    if (!sessionId) throw new Error('the leader holds no session');
    const serving = await memberServing(cluster.members, sessionId);
    await serving.kill();

    // The C client moves to another member and keeps its session: the leadership survives
    // (same token); or, if the move took longer than the local deadline, it ends and the
    // election is re-won (by the waiter) with a greater token.
    await new Promise((resolve) => setTimeout(resolve, TTL_MS * 1.5));
    let current: Leadership;
    console.log(
      `[zookeeper ensemble] after killing the member at port ${serving.port}: ${first.isLeader ? 'the leadership survived' : `it ended (${await first.ended}); the waiter re-wins`}`,
    );
    if (first.isLeader) {
      current = first;
      await within('a round trip through the surviving members', 10_000, first.proclaim('two'));
      expect(await b.election(name).leader()).toEqual({ id: 'a', value: 'two', token: first.token });
    } else {
      current = await within('the waiter to take over', TTL_MS * 4, waiting);
      expect(current.token).toBeGreaterThan(first.token);
    }
    expect(current.isLeader).toBe(true);
    expect(a.sessionId).toBeDefined();

    // Hand over: the successor is elected at once, with a greater token.
    await current.resign();
    const next = current === first ? await within('the waiter after resign', 10_000, waiting) : undefined;
    if (next) expect(next.token).toBeGreaterThan(first.token);
    await next?.resign();

    // A new campaign and leader() work on the two remaining members.
    const other = `ensemble/after/${Date.now()}`;
    const fresh = await within('a new campaign', 10_000, a.election(other).campaign({ id: 'fresh', value: 'v' }));
    expect(fresh.token).toBeGreaterThan(first.token);
    expect(await b.election(other).leader()).toEqual({ id: 'fresh', value: 'v', token: fresh.token });
    const observed = b.election(other).observe();
    const iterator = observed[Symbol.asyncIterator]();
    expect((await within('observe', 10_000, iterator.next())).value).toEqual({
      id: 'fresh',
      value: 'v',
      token: fresh.token,
    });
    await iterator.return?.();
    await fresh.resign();
    expect(await b.election(other).leader()).toBeUndefined();
  });
});
