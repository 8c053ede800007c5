import type { Backend, Leadership } from '@baton/core';
import { connect } from '@baton/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ClusterHandle, describeBackend, startCluster } from '../../../test/backends/index.js';
import '../src/index.js';
import { eventually } from '@baton/conformance';

const TTL_MS = 3_000;

describeBackend('etcd')('etcd: a 3-member cluster loses the member the clients name first', () => {
  let cluster: ClusterHandle;
  const clients: Backend[] = [];
  const client = async (): Promise<Backend> => {
    const backend = await connect(cluster.url, { ttlMs: TTL_MS, connectTimeoutMs: 5_000 });
    clients.push(backend);
    return backend;
  };

  beforeAll(async () => {
    cluster = await startCluster('etcd', 3);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((backend) => backend.close()));
    await cluster?.stop();
  });

  it('the election goes on: leadership kept or re-elected, leader() answers, a new campaign succeeds', async () => {
    expect(cluster.url.split(',')).toHaveLength(3);
    const name = `cluster/${Date.now()}`;
    const [a, b] = [await client(), await client()];
    const first = await a.election(name).campaign({ id: 'a' });
    const waiting = b.election(name).campaign({ id: 'b' });
    waiting.catch(() => undefined);
    expect((await b.election(name).leader())?.id).toBe('a');

    // The first host of the URL: every client of the cluster sends part of its calls there.
    await cluster.members[0]?.stop();

    // Let keepalives and watches run into the stopped member for a while.
    await new Promise((resolve) => setTimeout(resolve, TTL_MS * 1.5));
    const current = await eventually('leader() to answer', TTL_MS * 4, () => a.election(name).leader(), 100);
    expect(['a', 'b']).toContain(current.id);
    console.log(`[cluster] after stopping member 0: a ${first.isLeader ? 'kept' : 'lost'} its leadership`);
    // Those who lead or queue ahead of a newcomer, in order.
    const ahead: Promise<Leadership>[] = [];
    if (first.isLeader) {
      // Kept: the cluster still agrees that a leads, with the same token.
      expect(current).toMatchObject({ id: 'a', token: first.token });
      ahead.push(Promise.resolve(first), waiting);
    } else {
      // Lost (a keepalive could not be confirmed in time): b, queued next, was elected with a greater token.
      expect(current.id).toBe('b');
      expect(current.token).toBeGreaterThan(first.token);
      ahead.push(waiting);
    }

    // A new client, given the same URL with its dead first host, campaigns and wins after the handovers.
    const c = await client();
    const third = c.election(name).campaign({ id: 'c' });
    third.catch(() => undefined);
    let previous = first.token;
    for (const pending of ahead) {
      const leadership = await pending;
      expect(leadership.token).toBeGreaterThanOrEqual(previous);
      previous = leadership.token;
      await leadership.resign();
    }
    const leadership = await third;
    expect(leadership.isLeader).toBe(true);
    expect(leadership.token).toBeGreaterThan(previous);
    expect(await a.election(name).leader()).toMatchObject({ id: 'c', token: leadership.token });
    expect(await c.election(name).leader()).toMatchObject({ id: 'c', token: leadership.token });
  }, 90_000);
});
