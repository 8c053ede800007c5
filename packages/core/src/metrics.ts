import { createRequire } from 'node:module';
import type { CounterLike, HistogramLike, MeterProviderLike } from './meter-provider.js';

/** The metrics Baton records, by OpenTelemetry name; the README's table lists them with units and attributes. */
export const metricNames = {
  leader: 'baton.election.leader',
  transitions: 'baton.election.transitions',
  termDuration: 'baton.election.term.duration',
  campaignDuration: 'baton.election.campaign.duration',
  renewalDuration: 'baton.lease.renewal.duration',
  renewalFailures: 'baton.lease.renewal.failures',
  renewalSlack: 'baton.lease.renewal.slack',
  resubscriptions: 'baton.observe.resubscriptions',
} as const;

/** Attribute keys, namespaced as OpenTelemetry asks of attributes outside its conventions. */
export const metricAttributes = {
  election: 'baton.election',
  backend: 'baton.backend',
  candidate: 'baton.candidate.id',
  transition: 'baton.transition',
  reason: 'baton.end.reason',
  outcome: 'baton.campaign.outcome',
  /** OpenTelemetry's own convention for what failed. */
  errorType: 'error.type',
} as const;

// Seconds, as OpenTelemetry's conventions ask of durations. Round trips: 1 ms to 10 s.
const ROUND_TRIP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Terms and campaign waits: 10 ms to a day.
const LONG_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3_600, 14_400, 86_400];

/** One client's instruments, made once from its MeterProvider. */
export class ElectionMetrics {
  readonly leader: CounterLike;
  readonly transitions: CounterLike;
  readonly termDuration: HistogramLike;
  readonly campaignDuration: HistogramLike;
  readonly renewalDuration: HistogramLike;
  readonly renewalFailures: CounterLike;
  readonly renewalSlack: HistogramLike;
  readonly resubscriptions: CounterLike;

  constructor(provider: MeterProviderLike) {
    const meter = provider.getMeter('@baton/core', packageVersion());
    const seconds = (name: string, description: string, buckets: number[]): HistogramLike =>
      meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: buckets } });
    this.leader = meter.createUpDownCounter(metricNames.leader, {
      description: '1 while this candidate leads the election, 0 otherwise',
      unit: '{leader}',
    });
    this.transitions = meter.createCounter(metricNames.transitions, {
      description: 'Leaderships won (elected) and ended (resigned, or lost with its reason)',
      unit: '{transition}',
    });
    this.termDuration = seconds(
      metricNames.termDuration,
      'How long a leadership lasted, from election to its end',
      LONG_BUCKETS,
    );
    this.campaignDuration = seconds(
      metricNames.campaignDuration,
      'How long a campaign waited, from campaign() to elected, aborted or failed',
      LONG_BUCKETS,
    );
    this.renewalDuration = seconds(
      metricNames.renewalDuration,
      'Round trip of a renewal of the lease or session a leadership rests on',
      ROUND_TRIP_BUCKETS,
    );
    this.renewalFailures = meter.createCounter(metricNames.renewalFailures, {
      description: 'Renewals that failed or were cut short by the lease deadline',
      unit: '{failure}',
    });
    this.renewalSlack = seconds(
      metricNames.renewalSlack,
      'Time the local deadline still had to run when a renewal was confirmed',
      ROUND_TRIP_BUCKETS,
    );
    this.resubscriptions = meter.createCounter(metricNames.resubscriptions, {
      description: "Times an observer's watch or subscription broke and was set up again and re-read",
      unit: '{resubscription}',
    });
  }
}

let version: string | undefined;

/** @baton/core's version, for the meter's instrumentation scope. */
function packageVersion(): string {
  version ??= (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  return version;
}
