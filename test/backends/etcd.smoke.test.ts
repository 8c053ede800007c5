import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from './index.js';
import { http, isRecord, parseJson } from './probes.js';

const base64 = (text: string): string => Buffer.from(text).toString('base64');

/** A put through etcd's v3 JSON gateway, which takes keys and values in base64. */
async function put(server: ServerHandle, key: string, value: string): Promise<void> {
  const { status, text } = await http(`http://${server.host}:${server.port}/v3/kv/put`, {
    method: 'POST',
    body: JSON.stringify({ key: base64(key), value: base64(value) }),
  });
  expect(status, text).toBe(200);
}

async function get(server: ServerHandle, key: string): Promise<string | undefined> {
  const { status, text } = await http(`http://${server.host}:${server.port}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: base64(key) }),
  });
  expect(status, text).toBe(200);
  const body = parseJson(text);
  const first = isRecord(body) && Array.isArray(body.kvs) ? (body.kvs[0] as unknown) : undefined;
  return isRecord(first) && typeof first.value === 'string' ? Buffer.from(first.value, 'base64').toString() : undefined;
}

describeBackend('etcd')('etcd server (smoke)', () => {
  let server: ServerHandle | undefined;

  beforeAll(async () => {
    server = await startServer('etcd');
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  }, 30_000);

  it('stores and reads a key through the v3 JSON gateway', { timeout: 10_000 }, async () => {
    if (!server) throw new Error('no server');
    await put(server, 'smoke/key', 'hello');
    expect(await get(server, 'smoke/key')).toBe('hello');
  });

  it('restart() keeps the port and the data', { timeout: 30_000 }, async (context) => {
    if (!server) throw new Error('no server');
    if (server.source === 'env') context.skip('an external etcd cannot be restarted');
    const { url, port } = server;
    const pidBefore = server.pid;
    await put(server, 'smoke/durable', 'kept');
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.url).toBe(url);
    if (server.source === 'local') expect(server.pid).not.toBe(pidBefore);
    expect(await get(server, 'smoke/durable')).toBe('kept');
  });
});
