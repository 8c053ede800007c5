import type { ContenderKit } from './contender.js';
import { etcd3ElectionKit } from './peers/etcd3-election.js';
import { redisSemaphoreKit } from './peers/redis-semaphore.js';
import { redlockKit } from './peers/redlock.js';

/** A store to measure: its URL, the peers that run on it, and how to count its renewals. */
export interface BackendTarget {
  readonly kind: string;
  readonly url: string;
  readonly notes: string[];
  peers(ttlMs: number): ContenderKit[];
  readonly renewalCount: (() => Promise<number>) | undefined;
  stop(): Promise<void>;
}

export async function backendTarget(kind: string): Promise<BackendTarget> {
  if (kind === 'memory') {
    return {
      kind,
      url: `memory://bench-${process.pid}`,
      notes: ['no peer library runs on the in-process store'],
      peers: () => [],
      renewalCount: undefined,
      stop: async () => {},
    };
  }
  const { startServer } = await import('../../test/backends/index.js');
  const server = await startServer(kind as 'etcd' | 'zookeeper' | 'consul' | 'redis');
  const peers = (ttlMs: number): ContenderKit[] => {
    if (kind === 'redis')
      return [redlockKit(server.host, server.port, ttlMs), redisSemaphoreKit(server.host, server.port, ttlMs)];
    if (kind === 'etcd') return [etcd3ElectionKit(`${server.host}:${server.port}`, ttlMs)];
    return [];
  };
  const notes =
    kind === 'zookeeper' || kind === 'consul'
      ? ['no npm peer library for leader election on this store was found worth comparing']
      : [];
  return { kind, url: server.url, notes, peers, renewalCount: undefined, stop: () => server.stop() };
}
