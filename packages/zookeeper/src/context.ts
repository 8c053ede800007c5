import type { ElectionContext, LeaseGrant } from '@baton/core/adapter';
import type { ZkConnection } from './connection.js';

/** What a ZooKeeper election needs from its backend. */
export interface ZooKeeperElectionContext extends ElectionContext {
  /** Root of Baton's nodes: the URL's chroot, '' for none. */
  readonly chroot: string;
  /** Whether the URL carried digest credentials (then election nodes are protected by ACLs). */
  readonly authenticated: boolean;
  /** The client's live session (a connection and its lease), or a new one. */
  grant(signal: AbortSignal): Promise<LeaseGrant<ZkConnection>>;
}
