import type { ContenderKit } from '../contender.js';
import { advisoryLockKit } from './advisory-lock.js';
import { etcd3ElectionKit } from './etcd3-election.js';
import { redisSemaphoreKit } from './redis-semaphore.js';
import { redlockKit } from './redlock.js';

/** The peer libraries a user would pick instead of Baton, per store. */
export const peerNames = {
  etcd: ['etcd3-election'],
  redis: ['redlock', 'redis-semaphore'],
  postgres: ['advisory-lock'],
} as const;

export type PeerName = (typeof peerNames)[keyof typeof peerNames][number];

/** Where a peer library connects. By name, so that a child process can build the same kit. */
export interface PeerEndpoint {
  readonly peer: PeerName;
  readonly host: string;
  readonly port: number;
  readonly ttlMs: number;
  /** The full URL, for a store whose URL carries credentials (PostgreSQL). */
  readonly url?: string;
}

export function peersOf(kind: string): readonly PeerName[] {
  return kind === 'etcd' || kind === 'redis' || kind === 'postgres' ? peerNames[kind] : [];
}

export function peerKit({ peer, host, port, ttlMs, url }: PeerEndpoint): ContenderKit {
  switch (peer) {
    case 'etcd3-election':
      return etcd3ElectionKit(`${host}:${port}`, ttlMs);
    case 'redlock':
      return redlockKit(host, port, ttlMs);
    case 'redis-semaphore':
      return redisSemaphoreKit(host, port, ttlMs);
    case 'advisory-lock':
      if (!url) throw new Error('advisory-lock needs the full postgres:// URL');
      return advisoryLockKit(url);
  }
}
