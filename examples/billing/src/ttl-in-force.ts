import { connect } from '@baton/core';

/**
 * The ttl the store will really use for `requestedTtlMs`: a stock ZooKeeper (tickTime 2000)
 * grants sessions of at least 4 s, a stock Consul (session_ttl_min 10s) at least 10 s, and
 * Baton raises a smaller request to that (see the core README's ttl policy). The demo times
 * its faults and its waits from the ttl in force, so it connects once to learn it.
 */
export async function ttlInForce(url: string, requestedTtlMs: number): Promise<number> {
  const backend = await connect(url, { ttlMs: requestedTtlMs, logger: silent });
  try {
    return backend.ttlMs;
  } finally {
    await backend.close();
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
