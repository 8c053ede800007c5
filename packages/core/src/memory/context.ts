import type { ElectionContext } from '../election-context.js';
import type { Session } from '../session.js';
import type { MemoryStore } from './store.js';

/** What a memory election needs from its backend: the client's session and the store. */
export interface MemoryElectionContext extends ElectionContext {
  readonly session: Session<string>;
  readonly store: MemoryStore;
}
