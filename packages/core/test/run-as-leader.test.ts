import { describe, expect, it } from 'vitest';
import { memoryStore } from '../src/adapter.js';
import { connect, type Leadership, runAsLeader } from '../src/index.js';

describe('runAsLeader', () => {
  it('runs the task while leader, campaigns again after a loss, and stops on its signal', async () => {
    const client = await connect('memory://run', { ttlMs: 500 });
    const election = client.election('worker');
    const stop = new AbortController();
    const terms: bigint[] = [];
    const lost: string[] = [];
    const done = runAsLeader(
      election,
      async (leadership: Leadership) => {
        terms.push(leadership.token);
        await new Promise<void>((resolve) => leadership.signal.addEventListener('abort', () => resolve()));
      },
      { signal: stop.signal, id: 'w', onLost: (reason) => lost.push(reason) },
    );
    while (terms.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    memoryStore('run').deleteLeaderKey('worker');
    while (terms.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    stop.abort();
    await done;
    expect(lost[0]).toBe('deposed');
    expect(terms[1]).toBeGreaterThan(terms[0] ?? 0n);
    expect(await election.leader()).toBeUndefined();
    await client.close();
  });

  it('resigns and resolves when the task finishes while leader; rethrows its error', async () => {
    const client = await connect('memory://run-done');
    const election = client.election('once');
    await runAsLeader(election, async () => {});
    expect(await election.leader()).toBeUndefined();
    await expect(
      runAsLeader(election, async () => {
        throw new Error('task failed');
      }),
    ).rejects.toThrow('task failed');
    expect(await election.leader()).toBeUndefined();
    await client.close();
  });

  it('never starts a new term before the previous task has settled', async () => {
    const client = await connect('memory://run-overlap', { ttlMs: 500 });
    const election = client.election('serial');
    const stop = new AbortController();
    let running = 0;
    let maxRunning = 0;
    let starts = 0;
    const done = runAsLeader(
      election,
      async () => {
        running++;
        starts++;
        maxRunning = Math.max(maxRunning, running);
        if (starts === 1) memoryStore('run-overlap').deleteLeaderKey('serial');
        // Ignores its signal for a while, as a slow task would.
        await new Promise((resolve) => setTimeout(resolve, 100));
        running--;
        if (starts >= 2) stop.abort();
      },
      { signal: stop.signal },
    );
    await done;
    expect(starts).toBe(2);
    expect(maxRunning).toBe(1);
    await client.close();
  });
});
