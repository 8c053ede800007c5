import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from './index.js';
import { http } from './probes.js';

describeBackend('consul')('consul server (smoke)', () => {
  let server: ServerHandle | undefined;

  beforeAll(async () => {
    server = await startServer('consul');
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  it('stores and reads a KV entry over HTTP', { timeout: 10_000 }, async () => {
    if (!server) throw new Error('no server');
    const base = `http://${server.host}:${server.port}`;
    const put = await http(`${base}/v1/kv/smoke`, { method: 'PUT', body: 'hello' });
    expect(put).toEqual({ status: 200, text: expect.stringMatching(/^true\s*$/) });
    const get = await http(`${base}/v1/kv/smoke?raw`);
    expect(get).toEqual({ status: 200, text: 'hello' });
  });

  it('accepts a 1 s session TTL (session_ttl_min is lowered)', { timeout: 10_000 }, async (context) => {
    if (!server) throw new Error('no server');
    if (server.source === 'env') context.skip('an external Consul has its own session_ttl_min');
    const base = `http://${server.host}:${server.port}`;
    const created = await http(`${base}/v1/session/create`, { method: 'PUT', body: JSON.stringify({ TTL: '1s' }) });
    expect(created.status, created.text).toBe(200);
  });
});
