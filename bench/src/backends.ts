import { STATS_SETTINGS } from '../../packages/postgres/test/support/settings.js';
import type { ServerHandle } from '../../test/backends/index.js';
import { type PeerEndpoint, peersOf } from './peers/index.js';

/** A store to measure: its URL, the peers that run on it, and how to count its renewals. */
export interface BackendTarget {
  readonly kind: string;
  readonly url: string;
  /** The server's client address; undefined for the in-process store. */
  readonly address: { readonly host: string; readonly port: number } | undefined;
  readonly notes: string[];
  /** Where each peer library that runs on this store connects. */
  peers(ttlMs: number): PeerEndpoint[];
  readonly renewalCount: (() => Promise<number>) | undefined;
  stop(): Promise<void>;
}

type ServerKind = 'etcd' | 'zookeeper' | 'consul' | 'redis' | 'postgres';

/** The conformance suite's store hooks count renewals from the server's side; the benchmark reuses them. */
async function renewalCounter(
  kind: ServerKind,
  server: ServerHandle,
  ttlMs: number,
): Promise<{ count: () => Promise<number>; close: () => Promise<void> }> {
  const { host, port, url } = server;
  switch (kind) {
    case 'etcd': {
      const { etcdHooks } = await import('../../packages/etcd/test/hooks.js');
      const hooks = etcdHooks([`http://${host}:${port}`], ttlMs);
      return { count: required(hooks.hooks.renewalCount), close: async () => hooks.close() };
    }
    case 'redis': {
      const { redisHooks } = await import('../../packages/redis/test/hooks.js');
      const hooks = redisHooks(url, ttlMs);
      return { count: required(hooks.hooks.renewalCount), close: () => hooks.close() };
    }
    case 'zookeeper': {
      const { zookeeperHooks } = await import('../../packages/zookeeper/test/hooks.js');
      const hooks = zookeeperHooks(`${host}:${port}`, ttlMs);
      return { count: required(hooks.hooks.renewalCount), close: () => hooks.close() };
    }
    case 'consul': {
      const { consulHooks } = await import('../../packages/consul/test/hooks.js');
      const hooks = consulHooks(`http://${host}:${port}`, ttlMs);
      return { count: required(hooks.hooks.renewalCount), close: () => hooks.close() };
    }
    case 'postgres': {
      const { postgresHooks } = await import('../../packages/postgres/test/hooks.js');
      if (!server.adminUrl) throw new Error('no superuser URL for the postgres server');
      const hooks = postgresHooks(server.adminUrl, ttlMs);
      return { count: required(hooks.hooks.renewalCount), close: () => hooks.close() };
    }
  }
}

function required(count: (() => Promise<number>) | undefined): () => Promise<number> {
  if (!count) throw new Error('these hooks cannot count renewals');
  return count;
}

export async function backendTarget(kind: string, ttlMs: number): Promise<BackendTarget> {
  if (kind === 'memory') {
    return {
      kind,
      url: `memory://bench-${process.pid}`,
      address: undefined,
      notes: ['no peer library runs on the in-process store'],
      peers: () => [],
      renewalCount: undefined,
      stop: async () => {},
    };
  }
  const serverKind = kind as ServerKind;
  const { startServer } = await import('../../test/backends/index.js');
  // PostgreSQL's renewals are counted by pg_stat_statements, which must be loaded at start.
  const server = await startServer(serverKind, kind === 'postgres' ? STATS_SETTINGS : {});
  const notes: string[] = [];
  // Consul's default lock-delay (15 s) is the floor of its crash failover; the benchmark
  // measures the mechanism with it off, and the README states what the default adds.
  const url = kind === 'consul' ? `${server.url}?lockDelay=0` : server.url;
  if (kind === 'consul')
    notes.push('measured with lockDelay=0; the default 15 s lock-delay adds up to 15 s to crash failover');
  if (kind === 'postgres')
    notes.push(
      'advisory-lock: a session-level pg_advisory_lock per lock() on its own connection; no fencing token, no expiry of a hung holder, no loss signal',
    );
  if (kind === 'zookeeper' || kind === 'consul')
    notes.push('no maintained npm library for leader election on this store that we know of, so no peer runs');
  const counter = await renewalCounter(serverKind, server, ttlMs);
  return {
    kind,
    url,
    address: { host: server.host, port: server.port },
    notes,
    peers: (peerTtlMs) =>
      peersOf(kind).map((peer) => ({ peer, host: server.host, port: server.port, ttlMs: peerTtlMs, url: server.url })),
    renewalCount: counter.count,
    stop: async () => {
      await counter.close();
      await server.stop();
    },
  };
}
