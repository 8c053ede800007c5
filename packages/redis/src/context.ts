import type { ElectionContext } from '@baton/core/adapter';
import type { RedisClient } from './connections.js';
import type { ChannelHub } from './pubsub.js';
import type { RenewalGroup } from './renewal.js';

/** What a Redis election needs from its backend. */
export interface RedisElectionContext extends ElectionContext {
  /** The connection for commands and scripts. */
  readonly client: RedisClient;
  /** Subscriptions over the backend's own pub/sub connection. */
  readonly hub: ChannelHub;
  /** The keys this client leads with, renewed together. */
  readonly renewals: RenewalGroup;
  /** Root of Baton's keys. */
  readonly prefix: string;
  /** The database index the keys live in, for keyspace channels. */
  readonly db: number;
  /** Keeps a best-effort release (of a campaign given up) so that close() lets it finish before disconnecting. */
  cleanup(pending: Promise<void>): void;
}
