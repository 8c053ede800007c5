import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from './index.js';
import { redisPing, tcpExchange } from './probes.js';

/** A RESP array of bulk strings: how clients send commands. */
function command(...parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
}

describeBackend('redis')('redis server (smoke)', () => {
  let server: ServerHandle | undefined;

  beforeAll(async () => {
    server = await startServer('redis');
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  it('answers SET then GET over raw RESP', { timeout: 10_000 }, async () => {
    if (!server) throw new Error('no server');
    const expected = '+OK\r\n$5\r\nhello\r\n';
    const reply = await tcpExchange(
      server.host,
      server.port,
      command('SET', 'smoke', 'hello') + command('GET', 'smoke'),
      {
        timeoutMs: 2_000,
        complete: (text) => text.length >= expected.length,
      },
    );
    expect(reply).toBe(expected);
  });

  it('pause() stops answers and resume() brings them back', { timeout: 10_000 }, async (context) => {
    if (!server) throw new Error('no server');
    if (server.source !== 'local') context.skip('pause() needs a local server');
    await server.pause();
    try {
      await expect(redisPing(server.host, server.port, 500)).rejects.toThrow(/no reply/);
    } finally {
      await server.resume();
    }
    expect(await redisPing(server.host, server.port, 2_000)).toBe(true);
  });
});
