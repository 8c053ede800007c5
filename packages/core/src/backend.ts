import type { Capabilities, CapabilityName } from './capabilities.js';
import type { Election } from './election.js';
import type { BackendHealth, HealthOptions } from './health.js';
import type { Logger } from './logger.js';
import type { MeterProviderLike } from './meter-provider.js';

export type DisconnectPolicy = 'abort' | 'tolerate-until-deadline';

export interface BackendOptions {
  /**
   * Lease or session lifetime without renewal. A value below the store's minimum or off its
   * granularity is raised to what the store grants (see `strictTtl`); `backend.ttlMs` is the
   * ttl in force.
   * @default 10_000
   */
  readonly ttlMs?: number;
  /**
   * How long `connect()` may take before it fails with ERR_BACKEND_UNAVAILABLE.
   * @default 5_000
   */
  readonly connectTimeoutMs?: number;
  /**
   * What a lost connection does to a leadership: `abort` ends it at once (as Curator's);
   * `tolerate-until-deadline` rides out a blip, never past the local deadline.
   * @default 'abort'
   */
  readonly onDisconnect?: DisconnectPolicy;
  /**
   * Capabilities the backend must have; `connect()` fails with ERR_CAPABILITY_MISSING otherwise.
   * @default []
   */
  readonly requires?: readonly CapabilityName[];
  /**
   * Where the client logs (pino-style: `logger.warn(fields, message)`); credentials never appear.
   * @default a logger that drops everything
   */
  readonly logger?: Logger;
  /**
   * Refuse a ttl the store would raise (below its minimum, off its granularity) with
   * ERR_INVALID_ARGUMENT, instead of raising it and logging a warning.
   * @default false
   */
  readonly strictTtl?: boolean;
  /**
   * An existing store client to use instead of a new one; the backend will not close it.
   * Each adapter's `connect<Store>()` types it (e.g. `connectEtcd(url, { client: new Etcd3() })`).
   * @default undefined: the backend makes and owns its client
   */
  readonly client?: unknown;
  /**
   * The OpenTelemetry MeterProvider to record Baton's metrics with (register the SDK's
   * before connecting).
   * @default the global one of `@opentelemetry/api` when it is installed; else no metrics
   */
  readonly meterProvider?: MeterProviderLike;
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
  readonly meterProvider: MeterProviderLike | undefined;
}

/** A connection to one coordination store. */
export interface Backend extends AsyncDisposable {
  readonly kind: string;
  readonly capabilities: Capabilities;
  /** The ttl in force after the store's rounding and limits. */
  readonly ttlMs: number;
  /**
   * The election called `name` on this backend; the same object for the same name.
   * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for an empty or malformed name.
   * @throws ClosedError (ERR_CLOSED) after `close()`.
   */
  election(name: string): Election;
  /**
   * Whether this client is healthy now, for a readiness or liveness probe: unhealthy once
   * closed, or while one of its leaderships has a renewal overdue by more than the tolerance
   * or its connection lost; with each live leadership's view. A client that leads nothing is
   * healthy unless closed (a follower is not restarted for not leading).
   * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for a malformed `options`.
   */
  health(options?: HealthOptions): BackendHealth;
  /**
   * Ends every leadership of this client ('closed'), releases its keys, and frees its
   * resources. Idempotent; never rejects.
   */
  close(): Promise<void>;
}
