import type { ClientScope } from './client-scope.js';
import type { Logger } from './logger.js';

/**
 * What every election needs from the backend that made it: the client's lifecycle, its
 * logger, the ttl in force and the bound on a round trip. Adapters extend it with their
 * store's handles; an election depends on this narrow value, never on the backend class.
 */
export interface ElectionContext {
  readonly scope: ClientScope;
  readonly logger: Logger;
  /** The ttl in force, in ms. */
  readonly ttlMs: number;
  /** Bound on one store round trip, in ms. */
  readonly requestTimeoutMs: number;
}
