import { monotonicNow } from './clock.js';
import { type EndReason, InvalidArgumentError } from './errors.js';
import { assertKnownKeys } from './option-keys.js';

/** Why a leadership or a client is not healthy, or that it is. */
export type HealthStatus = 'healthy' | 'renewal-overdue' | 'connection-lost' | 'ended' | 'closed';

export interface HealthOptions {
  /**
   * How late a renewal may be before it counts as overdue: unhealthy once no renewal was
   * confirmed for one renewal period plus this, as client-go's HealthzAdaptor tolerates an
   * expired lease for a while. Must leave room before the deadline (ttl minus a margin).
   * @default one renewal period (a third of the ttl): unhealthy at two thirds of a ttl without a confirmed renewal
   */
  readonly toleranceMs?: number;
}

/** One leadership, as a probe sees it. */
export interface LeadershipHealth {
  readonly healthy: boolean;
  readonly status: Exclude<HealthStatus, 'closed'>;
  /** Why not healthy, in words; absent when healthy. */
  readonly reason?: string;
  readonly election: string;
  readonly id: string;
  readonly token: bigint;
  /** Ms since the send time of the last renewal the store confirmed (or of the grant); absent when unknown. */
  readonly lastRenewalAgeMs?: number;
  /** Ms left to the local deadline; negative once it passed. */
  readonly remainingMs: number;
  /** Why it ended, once it has. */
  readonly ended?: EndReason;
}

/**
 * A client, as a probe sees it: unhealthy when closed, or when one of its live leaderships
 * is (renewal overdue, connection lost). A client that leads nothing is healthy unless
 * closed, as with client-go's adaptor: a follower is not restarted for not leading.
 */
export interface BackendHealth {
  readonly healthy: boolean;
  readonly status: Exclude<HealthStatus, 'ended'>;
  readonly reason?: string;
  /** The backend's kind. */
  readonly backend: string;
  /** Every live leadership of the client. */
  readonly leaderships: readonly LeadershipHealth[];
}

/** What health needs to know of the lease a term rests on (a Lease has it). */
export interface RenewalState {
  /** Monotonic send time of the last request the store confirmed. */
  readonly lastConfirmedAt: number;
  readonly renewalPeriodMs: number;
  readonly isDisconnected: boolean;
}

/** What health needs to know of a term. */
export interface TermState {
  readonly election: string;
  readonly id: string;
  readonly token: bigint;
  readonly validUntil: number;
  readonly ended: EndReason | undefined;
  readonly lease: RenewalState | undefined;
}

const HEALTH_OPTION_KEYS: readonly string[] = ['toleranceMs'] satisfies readonly (keyof HealthOptions)[];

/**
 * Checks health options at once.
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for an unknown key or a tolerance that is not a finite number >= 0.
 */
export function validateHealthOptions(options: HealthOptions | undefined): number | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('health options must be an object');
  assertKnownKeys('health()', options, HEALTH_OPTION_KEYS);
  const { toleranceMs } = options;
  if (toleranceMs === undefined) return undefined;
  if (typeof toleranceMs !== 'number' || !Number.isFinite(toleranceMs) || toleranceMs < 0) {
    throw new InvalidArgumentError(
      `toleranceMs must be a finite number of milliseconds >= 0, got ${String(toleranceMs)}`,
    );
  }
  return toleranceMs;
}

/** One leadership's health now; `toleranceMs` already validated. */
export function termHealth(term: TermState, toleranceMs: number | undefined): LeadershipHealth {
  const now = monotonicNow();
  const { lease } = term;
  const remainingMs = Math.round(term.validUntil - now);
  const base = {
    election: term.election,
    id: term.id,
    token: term.token,
    remainingMs,
    ...(lease ? { lastRenewalAgeMs: Math.round(now - lease.lastConfirmedAt) } : {}),
  };
  if (term.ended !== undefined) {
    return {
      ...base,
      healthy: false,
      status: 'ended',
      reason: `the leadership ended: ${term.ended}`,
      ended: term.ended,
    };
  }
  if (lease?.isDisconnected) {
    return {
      ...base,
      healthy: false,
      status: 'connection-lost',
      reason: `the connection to the store is lost; the leadership ends in ${remainingMs} ms unless a renewal gets through`,
    };
  }
  if (lease && base.lastRenewalAgeMs !== undefined) {
    const period = lease.renewalPeriodMs;
    const tolerance = toleranceMs ?? period;
    if (base.lastRenewalAgeMs > period + tolerance) {
      return {
        ...base,
        healthy: false,
        status: 'renewal-overdue',
        reason: `no renewal confirmed for ${base.lastRenewalAgeMs} ms (one is due every ${Math.round(period)} ms, tolerance ${Math.round(tolerance)} ms); ${remainingMs} ms left to the deadline`,
      };
    }
  }
  return { ...base, healthy: true, status: 'healthy' };
}
