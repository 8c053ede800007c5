import { afterAll, beforeAll } from 'vitest';
import type { ServerHandle } from './types.js';

/**
 * Starts a server before the tests of the enclosing suite and stops it after them. Returns a
 * getter for the tests, which throws if the server did not start (the failed beforeAll says why).
 */
export function serverForSuite<T extends ServerHandle>(start: () => Promise<T>, startTimeoutMs = 120_000): () => T {
  let server: T | undefined;
  beforeAll(async () => {
    server = await start();
  }, startTimeoutMs);
  afterAll(async () => {
    await server?.stop();
  }, 60_000);
  return () => {
    if (!server) throw new Error('the server for this suite did not start');
    return server;
  };
}
