import type { ElectionContext, Session } from '@baton/core/adapter';
import type { EtcdStore } from './store.js';
import type { WatchRegistry } from './watch.js';

/** What an etcd election needs from its backend. */
export interface EtcdElectionContext extends ElectionContext {
  /** The client's one lease, shared by all its candidate keys. */
  readonly session: Session<string>;
  readonly store: EtcdStore;
  readonly watches: WatchRegistry;
  /** Root of this client's keys (`?prefix=`, default `/baton`). */
  readonly prefix: string;
  /** A fresh per-candidate suffix, so that one client can run several candidates in one election. */
  nextSeq(): number;
}
