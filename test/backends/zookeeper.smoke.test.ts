import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from './index.js';
import { fourLetterWord } from './probes.js';

describeBackend('zookeeper')('zookeeper server (smoke)', () => {
  let server: ServerHandle | undefined;

  beforeAll(async () => {
    server = await startServer('zookeeper');
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  it('answers ruok and srvr as a standalone server', { timeout: 10_000 }, async () => {
    if (!server) throw new Error('no server');
    expect(await fourLetterWord(server.host, server.port, 'ruok', 2_000)).toBe('imok');
    expect(await fourLetterWord(server.host, server.port, 'srvr', 2_000)).toMatch(/^Mode: standalone$/m);
  });

  it('serves again on the same port after restart()', { timeout: 60_000 }, async (context) => {
    if (!server) throw new Error('no server');
    if (server.source === 'env') context.skip('an external ZooKeeper cannot be restarted');
    const port = server.port;
    await server.restart();
    expect(server.port).toBe(port);
    expect(await fourLetterWord(server.host, server.port, 'srvr', 2_000)).toMatch(/^Mode: standalone$/m);
  });
});
