import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { throwIfAborted } from './abort.js';
import type { CampaignOptions } from './election.js';
import { ClosedError, InvalidArgumentError } from './errors.js';
import { type BackendHealth, type HealthOptions, validateHealthOptions } from './health.js';
import type { LeadershipTerm } from './leadership-term.js';
import { assertKnownKeys } from './option-keys.js';
import { ClientTelemetry } from './telemetry.js';
import { validateCandidateId, validateSignal, validateValue } from './validation.js';

export interface ResolvedCampaign {
  readonly id: string;
  readonly value: string | undefined;
  readonly signal: AbortSignal | undefined;
}

const CAMPAIGN_OPTION_KEYS: readonly string[] = ['id', 'value', 'signal'] satisfies readonly (keyof CampaignOptions)[];

/** Validates campaign options at once, before any round trip. */
export function resolveCampaignOptions(options: CampaignOptions | undefined): ResolvedCampaign {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidArgumentError('campaign options must be an object');
  }
  if (options) assertKnownKeys('campaign()', options, CAMPAIGN_OPTION_KEYS);
  const id = options?.id === undefined ? randomUUID() : validateCandidateId(options.id);
  const value = options?.value === undefined ? undefined : validateValue(options.value);
  const signal = validateSignal(options?.signal);
  throwIfAborted(signal);
  return { id, value, signal };
}

/**
 * What every backend client does the same way: knows whether it is closed, tracks its
 * live leaderships, and ends them all, once, on close; reports their health, and records
 * their metrics, events and logs through its telemetry.
 */
export class ClientScope {
  readonly telemetry: ClientTelemetry;
  private readonly kind: () => string;
  private readonly closing = ClientScope.closingController();
  private readonly terms = new Set<LeadershipTerm>();
  private closePromise: Promise<void> | undefined;

  /** `kind` names the backend in metrics, events and health; read when first needed. */
  constructor(kind: () => string = () => 'unknown') {
    this.kind = kind;
    this.telemetry = new ClientTelemetry(kind);
  }

  private static closingController(): AbortController {
    const controller = new AbortController();
    // Every pending campaign and observer of a client listens here; hundreds are normal.
    setMaxListeners(0, controller.signal);
    return controller;
  }

  /** Aborted, with a ClosedError, when close() begins. */
  get signal(): AbortSignal {
    return this.closing.signal;
  }

  get closed(): boolean {
    return this.closing.signal.aborted;
  }

  assertOpen(): void {
    if (this.closed) throw new ClosedError();
  }

  /** A signal that aborts when the caller's does (AbortError) or the client closes (ClosedError). */
  link(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
  }

  /** Keeps a term until it ends, so that close() can end it. */
  track(term: LeadershipTerm): void {
    if (this.closed) {
      term.end('closed');
      return;
    }
    this.terms.add(term);
    term.onEnd(() => this.terms.delete(term));
  }

  /**
   * The client's health: closed, or the first problem among its live leaderships, or healthy.
   * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for a malformed `options`.
   */
  health(options?: HealthOptions): BackendHealth {
    const toleranceMs = validateHealthOptions(options);
    const backend = this.kind();
    if (this.closed)
      return { healthy: false, status: 'closed', reason: 'the backend is closed', backend, leaderships: [] };
    const leaderships = [...this.terms]
      .map((term) => term.health(toleranceMs === undefined ? undefined : { toleranceMs }))
      .filter((health) => health.status !== 'ended');
    const problem = leaderships.find((health) => !health.healthy);
    if (!problem) return { healthy: true, status: 'healthy', backend, leaderships };
    const status = problem.status === 'connection-lost' ? 'connection-lost' : 'renewal-overdue';
    const reason = `${problem.election}: ${problem.reason ?? status}`;
    return { healthy: false, status, reason, backend, leaderships };
  }

  /**
   * Ends every live term ('closed'), waits for their guarded releases, then runs
   * `finalize` (revoke the session, close the client) once. Idempotent.
   */
  close(finalize: () => Promise<void>): Promise<void> {
    if (!this.closePromise) {
      this.closing.abort(new ClosedError());
      const terms = [...this.terms];
      this.terms.clear();
      for (const term of terms) term.end('closed');
      this.closePromise = Promise.allSettled(terms.map((term) => term.settled())).then(finalize);
    }
    return this.closePromise;
  }
}
