import type { ElectionContext, Session } from '@baton/core/adapter';
import type { Candidacies } from './candidacies.js';
import type { NotificationHub } from './notifications.js';
import type { PgStore } from './store.js';

/** What a PostgreSQL election needs from its backend. */
export interface PostgresElectionContext extends ElectionContext {
  /** The client's one session row, shared by all its candidacies. */
  readonly session: Session<string>;
  readonly store: PgStore;
  readonly notifications: NotificationHub;
  readonly candidacies: Candidacies;
}
