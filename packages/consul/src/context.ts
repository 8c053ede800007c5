import type { ElectionContext, Session } from '@baton/core/adapter';
import type { ConsulApi } from './api.js';
import type { HeldKeys } from './held.js';

/** What a Consul election needs from its backend. */
export interface ConsulElectionContext extends ElectionContext {
  /** The client's one Consul session, shared by all its elections. */
  readonly session: Session<string>;
  readonly api: ConsulApi;
  /** The keys this client leads with, watched by one blocking query. */
  readonly held: HeldKeys;
  /** Root of Baton's keys. */
  readonly prefix: string;
  /** How long a blocking query waits on the server before answering unchanged. */
  readonly watchWaitMs: number;
}
