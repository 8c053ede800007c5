import type { Capabilities, CapabilityName } from './capabilities.js';
import type { Election } from './election.js';
import type { Logger } from './logger.js';

export type DisconnectPolicy = 'abort' | 'tolerate-until-deadline';

export interface BackendOptions {
  /** Lease or session lifetime without renewal. Default 10 000 ms. */
  readonly ttlMs?: number;
  /** How long `connect()` may take before it fails with ERR_BACKEND_UNAVAILABLE. Default 5 000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * What a lost connection does to a leadership: `abort` ends it at once (the default,
   * as Curator's); `tolerate-until-deadline` rides out a blip, never past the local deadline.
   */
  readonly onDisconnect?: DisconnectPolicy;
  /** Fail at connect when the backend lacks one of these. */
  readonly requires?: readonly CapabilityName[];
  readonly logger?: Logger;
  /**
   * Refuse a ttl the store would raise (below its minimum, off its granularity) with
   * ERR_INVALID_ARGUMENT, instead of raising it and logging a warning.
   * @default false
   */
  readonly strictTtl?: boolean;
  /** An existing store client to use instead of a new one; the backend will not close it. */
  readonly client?: unknown;
}

/** BackendOptions after validation, with defaults applied. */
export interface ResolvedBackendOptions {
  readonly ttlMs: number;
  readonly connectTimeoutMs: number;
  readonly onDisconnect: DisconnectPolicy;
  readonly requires: readonly CapabilityName[];
  readonly logger: Logger;
  readonly strictTtl: boolean;
  readonly client: unknown;
}

/** A connection to one coordination store. */
export interface Backend extends AsyncDisposable {
  readonly kind: string;
  readonly capabilities: Capabilities;
  /** The ttl in force after the store's rounding and limits. */
  readonly ttlMs: number;
  election(name: string): Election;
  /** Ends every leadership of this client ('closed'), releases its keys, and frees its resources. */
  close(): Promise<void>;
}
