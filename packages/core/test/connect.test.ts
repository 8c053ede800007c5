import { afterAll, describe, expect, it } from 'vitest';
import {
  type BackendFactory,
  MemoryBackend,
  memoryCapabilities,
  registerBackend,
  registeredSchemes,
} from '../src/adapter.js';
import { type Backend, connect } from '../src/index.js';

let lateBackends: MemoryBackend[] = [];
afterAll(async () => {
  await Promise.all(lateBackends.map((backend) => backend.close()));
});

/** Backends registered only in this test process, to drive connect()'s own logic. */
const slow: BackendFactory<string> = {
  kind: 'slow',
  schemes: ['slowtest'],
  parseUrl: (raw) => raw,
  capabilities: (options) => ({ ...memoryCapabilities(options.ttlMs), fifo: false }),
  connect: async (_url, options, signal) => {
    await new Promise((resolve) => setTimeout(resolve, 400));
    const backend = new MemoryBackend({ storeName: 'slow' }, options);
    if (signal.aborted) lateBackends.push(backend);
    return backend;
  },
};
registerBackend(slow);

describe('connect()', () => {
  it('connects to the embedded default with memory://', async () => {
    const backend: Backend = await connect('memory://');
    expect(backend.kind).toBe('memory');
    expect(backend.ttlMs).toBe(10_000);
    await backend.close();
    expect(registeredSchemes()).toContain('memory');
  });

  it('refuses malformed and unknown URLs with ERR_INVALID_ARGUMENT', async () => {
    for (const url of ['', 'memory', '://x', 'gopher://host', 'memory://a/path', 'memory://?q=1']) {
      await expect(connect(url)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
  });

  it('fails with ERR_BACKEND_UNAVAILABLE once connectTimeoutMs passes, and closes a late connection', async () => {
    const started = Date.now();
    await expect(connect('slowtest://x', { connectTimeoutMs: 100 })).rejects.toMatchObject({
      code: 'ERR_BACKEND_UNAVAILABLE',
    });
    expect(Date.now() - started).toBeLessThan(350);
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(lateBackends).toHaveLength(1);
    expect(() => lateBackends[0]?.election('x')).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
    lateBackends = [];
  });

  it('fails at once with ERR_CAPABILITY_MISSING when a required capability is absent', async () => {
    const started = Date.now();
    await expect(connect('slowtest://x', { requires: ['fifo'] })).rejects.toMatchObject({
      code: 'ERR_CAPABILITY_MISSING',
      missing: ['fifo'],
    });
    expect(Date.now() - started).toBeLessThan(100);
    const memory = await connect('memory://', {
      requires: ['fifo', 'watch', 'linearizable-leader-read', 'monotonic-fencing'],
    });
    await memory.close();
  });
});
