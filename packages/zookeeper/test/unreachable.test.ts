import { createServer, type Socket } from 'node:net';
import { type BatonError, connect } from '@baton/core';
import { describe, expect, it } from 'vitest';
import '../src/index.js';

/** A loopback port nobody listens on: taken from the kernel, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function failureOf(url: string, connectTimeoutMs = 5_000): Promise<{ error: BatonError; elapsedMs: number }> {
  const startedAt = performance.now();
  const error = await connect(url, { connectTimeoutMs }).then(
    async (backend) => {
      await backend.close();
      throw new Error(`${url} connected`);
    },
    (caught: BatonError) => caught,
  );
  return { error, elapsedMs: performance.now() - startedAt };
}

describe('zookeeper: a server that is not there', () => {
  it('a refused port fails within 1 s, naming the host and ECONNREFUSED', async () => {
    const port = await closedPort();
    const { error, elapsedMs } = await failureOf(`zookeeper://127.0.0.1:${port}`);
    expect(error.code).toBe('ERR_BACKEND_UNAVAILABLE');
    expect(error.message).toContain(`127.0.0.1:${port} (ECONNREFUSED)`);
    expect(elapsedMs).toBeLessThan(1_000);
  });

  it('an unresolvable host fails within 1 s, naming the host and ENOTFOUND', async () => {
    const { error, elapsedMs } = await failureOf('zookeeper://no-such-host.invalid:2181');
    expect(error.code).toBe('ERR_BACKEND_UNAVAILABLE');
    expect(error.message).toMatch(/no-such-host\.invalid:2181 \((ENOTFOUND|EAI_AGAIN)\)/);
    expect(elapsedMs).toBeLessThan(1_000);
  });

  it('every host of the list is named when none answers', async () => {
    const [first, second] = [await closedPort(), await closedPort()];
    const { error } = await failureOf(`zookeeper://127.0.0.1:${first},127.0.0.1:${second}`);
    expect(error.message).toContain(`127.0.0.1:${first} (ECONNREFUSED)`);
    expect(error.message).toContain(`127.0.0.1:${second} (ECONNREFUSED)`);
  });

  it('a host that does not answer at all is waited for until connectTimeoutMs, as on the other stores', async () => {
    // A listening socket that never speaks ZooKeeper: the TCP connect succeeds, no session comes.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const { error, elapsedMs } = await failureOf(`zookeeper://127.0.0.1:${address.port}`, 600);
      expect(error.code).toBe('ERR_BACKEND_UNAVAILABLE');
      expect(elapsedMs).toBeGreaterThanOrEqual(550);
      expect(elapsedMs).toBeLessThan(3_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
