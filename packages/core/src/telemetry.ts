import { monotonicNow } from './clock.js';
import type { EndReason } from './errors.js';
import { hasSubscribers, publish } from './events.js';
import { globalMeterProvider } from './global-meter-provider.js';
import type { LeadershipTerm } from './leadership-term.js';
import type { Lease, RenewalReport } from './lease.js';
import type { MeterProviderLike } from './meter-provider.js';
import { metricAttributes as attr, ElectionMetrics } from './metrics.js';

/**
 * The method connect() calls on a backend it made to hand it the options' MeterProvider. A
 * `Symbol.for` key, so that a backend of another copy of @baton/core is configured as well.
 */
export const configureTelemetry = Symbol.for('baton.configure-telemetry');

/** What a failure was, for metrics and events: a stable code where there is one, never a message with a URL in it. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.length > 0) return code;
  return error instanceof Error ? error.name : typeof error;
}

function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${errorType(error)}: ${message}`;
}

/**
 * One client's metrics, events and logs of its elections: where core hands out, ends and
 * renews leaderships, and where observers re-subscribe, so that every adapter has them. A
 * metric is recorded once per event, an event published once, a log line written once.
 * Without a MeterProvider (none in the options, no @opentelemetry/api installed) nothing is
 * recorded; an event is built only when its channel has a subscriber.
 *
 * Only the leader gauge has a series per election (and candidate): every other metric is per
 * backend, with its outcome or reason, so that a client holding thousands of elections does
 * not hold thousands of counters and histograms. An election's changes show in its gauge.
 */
export class ClientTelemetry {
  private readonly kind: () => string;
  private provider: MeterProviderLike | undefined;
  private instruments: ElectionMetrics | null | undefined;
  /** The live terms on each lease this client's leaderships rest on. */
  private readonly leases = new WeakMap<Lease, Set<LeadershipTerm>>();

  constructor(kind: () => string = () => 'unknown') {
    this.kind = kind;
  }

  /** Uses `provider` instead of the global one; before the first leadership. */
  configure(provider: MeterProviderLike | undefined): void {
    this.provider = provider;
    this.instruments = undefined;
  }

  /** The instruments, made on first use from the configured or the global provider; undefined without one. */
  private get metrics(): ElectionMetrics | undefined {
    if (this.instruments === undefined) {
      const provider = this.provider ?? globalMeterProvider();
      this.instruments = provider ? new ElectionMetrics(provider, this.kind) : null;
    }
    return this.instruments ?? undefined;
  }

  /** A campaign began; returns its start time for `elected` or `campaignFailed`. */
  campaignStarted(election: string, id: string): number {
    const at = monotonicNow();
    if (hasSubscribers('campaignStarted')) publish('campaignStarted', { election, id, backend: this.kind(), at });
    return at;
  }

  /** A campaign ended without a leadership: aborted, closed, or failed. */
  campaignFailed(startedAt: number, error: unknown): void {
    const metrics = this.metrics;
    if (!metrics) return;
    const outcome = errorType(error) === 'ABORT_ERR' ? 'aborted' : 'failed';
    const seconds = (monotonicNow() - startedAt) / 1_000;
    const backend = this.kind();
    metrics.later(() => metrics.campaignDuration.record(seconds, { [attr.backend]: backend, [attr.outcome]: outcome }));
  }

  /** A campaign handed `term` to its caller: elected now; its end is reported when it comes. */
  elected(term: LeadershipTerm, campaignStartedAt: number): void {
    const at = monotonicNow();
    const backend = this.kind();
    const { election, id, token } = term;
    const campaignMs = at - campaignStartedAt;
    const metrics = this.metrics;
    if (metrics) {
      metrics.leaderElected(term);
      metrics.later(() => {
        metrics.transitions.add(1, { [attr.backend]: backend, [attr.transition]: 'elected' });
        metrics.campaignDuration.record(campaignMs / 1_000, { [attr.backend]: backend, [attr.outcome]: 'elected' });
      });
    }
    const event = { election, id, backend, at, token, campaignMs, validUntil: term.validUntil };
    term.logger.info({ ...event, token: String(token) }, 'elected');
    if (hasSubscribers('elected')) publish('elected', event);
    const { lease } = term;
    if (lease) this.follow(lease, term);
    // Reported synchronously, within the end: a caller awaiting `ended` that campaigns again
    // must not have its campaign-started published before this term's end.
    term.onEnd((reason, cause) => this.ended(term, at, reason, cause));
  }

  /** An observer's watch broke and is being set up again. */
  resubscribed(election: string): void {
    const metrics = this.metrics;
    if (!metrics) return;
    const backend = this.kind();
    metrics.later(() => metrics.resubscriptions.add(1, { [attr.election]: election, [attr.backend]: backend }));
  }

  private ended(term: LeadershipTerm, electedAt: number, reason: EndReason, cause: unknown): void {
    if (term.lease) this.leases.get(term.lease)?.delete(term);
    const at = monotonicNow();
    const backend = this.kind();
    const { election, id, token } = term;
    const termMs = at - electedAt;
    const metrics = this.metrics;
    if (metrics) {
      metrics.leaderEnded(term);
      metrics.later(() => {
        const transition =
          reason === 'resigned'
            ? { [attr.transition]: 'resigned' }
            : { [attr.transition]: 'lost', [attr.reason]: reason };
        metrics.transitions.add(1, { [attr.backend]: backend, ...transition });
        metrics.termDuration.record(termMs / 1_000, { [attr.backend]: backend, [attr.reason]: reason });
      });
    }
    const fields = { election, id, backend, at, token, termMs };
    if (reason === 'resigned') {
      term.logger.info({ ...fields, token: String(token) }, 'resigned');
      if (hasSubscribers('resigned')) publish('resigned', fields);
    } else {
      term.logger.warn({ ...fields, token: String(token), reason, err: cause }, 'leadership lost');
      if (hasSubscribers('lost')) publish('lost', { ...fields, reason });
    }
  }

  /** Reports `lease`'s renewals once per renewal in metrics, and once per live term in events; a term's end takes it off. */
  private follow(lease: Lease, term: LeadershipTerm): void {
    let terms = this.leases.get(lease);
    if (!terms) {
      const live = new Set<LeadershipTerm>();
      terms = live;
      this.leases.set(lease, live);
      lease.onRenewal((report) => this.renewed(live, report));
    }
    terms.add(term);
  }

  /**
   * Metrics count every renewal of a lease a leadership has rested on (a shared session goes
   * on being renewed between terms, and a renewal cut short by the deadline fails after the
   * term it kept has ended); events go to the terms that rest on it now.
   */
  private renewed(terms: ReadonlySet<LeadershipTerm>, report: RenewalReport): void {
    const backend = this.kind();
    const metrics = this.metrics;
    const at = monotonicNow();
    if (report.ok) {
      metrics?.later(() => {
        metrics.renewalDuration.record(report.latencyMs / 1_000, { [attr.backend]: backend });
        metrics.renewalSlack.record(report.slackMs / 1_000, { [attr.backend]: backend });
      });
      if (!hasSubscribers('renewal')) return;
      for (const term of terms) {
        const { election, id, token } = term;
        const { latencyMs, slackMs } = report;
        publish('renewal', { election, id, backend, at, token, latencyMs, slackMs, validUntil: term.validUntil });
      }
      return;
    }
    const type = errorType(report.error);
    metrics?.later(() => {
      metrics.renewalDuration.record(report.latencyMs / 1_000, { [attr.backend]: backend, [attr.errorType]: type });
      metrics.renewalFailures.add(1, { [attr.backend]: backend, [attr.errorType]: type });
    });
    if (!hasSubscribers('renewalFailed')) return;
    const error = describeError(report.error);
    for (const term of terms) {
      const { election, id, token } = term;
      const remainingMs = term.validUntil - at;
      publish('renewalFailed', { election, id, backend, at, token, latencyMs: report.latencyMs, error, remainingMs });
    }
  }
}
