import { describe, expect, it } from 'vitest';
import { memoryStore } from '../src/adapter.js';
import { connect } from '../src/index.js';

describe('memory backend', () => {
  it('drops a candidate that stops renewing after its ttl, and the next one leads', async () => {
    const store = memoryStore('ttl-drop');
    const silent = store.grantSession(200);
    const entry = store.enqueue('jobs', silent, 'silent', undefined);
    expect(store.head('jobs')?.key).toBe(entry?.key);

    const client = await connect('memory://ttl-drop', { ttlMs: 200 });
    const started = Date.now();
    const leadership = await client.election('jobs').campaign({ id: 'live' });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(1_000);
    expect(leadership.token).toBeGreaterThan(entry?.createRevision ?? 0n);
    // The live client keeps renewing: it still leads well past its ttl.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(leadership.isLeader).toBe(true);
    await client.close();
    expect(store.sessionCount).toBe(0);
  });

  it('elects candidates in arrival order', async () => {
    const client = await connect('memory://fifo', { ttlMs: 1_000 });
    const election = client.election('queue');
    const order: string[] = [];
    const first = await election.campaign({ id: 'first' });
    const rest = ['b', 'c', 'd'].map(async (id) => {
      const leadership = await election.campaign({ id });
      order.push(id);
      await leadership.resign();
    });
    await first.resign();
    await Promise.all(rest);
    expect(order).toEqual(['b', 'c', 'd']);
    await client.close();
  });

  it('stores are separate per name: memory://a does not see memory://b', async () => {
    const a = await connect('memory://iso-a');
    const b = await connect('memory://iso-b');
    await a.election('x').campaign({ id: 'a' });
    expect(await b.election('x').leader()).toBeUndefined();
    await Promise.all([a.close(), b.close()]);
  });

  it('leader() and observe() give a LeaderInfo that JSON.stringify writes with the token as a decimal string', async () => {
    const backend = await connect('memory://json');
    const election = backend.election('json');
    const leadership = await election.campaign({ id: 'a', value: 'v' });
    const info = await election.leader();
    expect(JSON.parse(JSON.stringify(info))).toEqual({ id: 'a', value: 'v', token: leadership.token.toString() });
    expect(info).toEqual({ id: 'a', value: 'v', token: leadership.token });
    const observer = new AbortController();
    for await (const state of election.observe({ signal: observer.signal })) {
      expect(JSON.stringify(state)).toBe(`{"id":"a","value":"v","token":"${leadership.token}"}`);
      observer.abort();
    }
    await backend.close();
  });
});
