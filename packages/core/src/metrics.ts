import { createRequire } from 'node:module';
import type { CounterLike, HistogramLike, MeterProviderLike, ObservableLike } from './meter-provider.js';

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

/** A leadership, as far as the leader gauge needs it. */
export interface GaugedTerm {
  readonly election: string;
  readonly id: string;
}

/** The leader gauge's series of one election and candidate. */
function seriesKey(term: GaugedTerm): string {
  return `${term.election}\u0000${term.id}`;
}

/**
 * One client's instruments, made once from its MeterProvider. Measurements are not recorded
 * where they happen: an OpenTelemetry SDK spends microseconds on each (its attributes hashed
 * and looked up), and a handover on an in-process store takes a few hundred. They wait in a
 * queue, recorded at the event loop's next turn or at the next collection, whichever comes
 * first, so a scrape never misses one. The leader gauge is observed at each collection from
 * what this client holds.
 */
export class ElectionMetrics {
  readonly transitions: CounterLike;
  readonly termDuration: HistogramLike;
  readonly campaignDuration: HistogramLike;
  readonly renewalDuration: HistogramLike;
  readonly renewalFailures: CounterLike;
  readonly renewalSlack: HistogramLike;
  readonly resubscriptions: CounterLike;
  private readonly leader: ObservableLike;
  /** The terms this client holds now: the gauge reads 1 for their series. */
  private readonly leading = new Set<GaugedTerm>();
  /**
   * Series whose term ended since the last collection: reported 0 once, as an UpDownCounter
   * would read (the SDK goes on exporting a series' last value), then forgotten here.
   */
  private endedSinceCollection = new Map<string, GaugedTerm>();
  private pending: (() => void)[] = [];
  private flushScheduled = false;

  constructor(provider: MeterProviderLike, backend: () => string) {
    const meter = provider.getMeter('@baton/core', packageVersion());
    const seconds = (name: string, description: string, buckets: number[]): HistogramLike =>
      meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: buckets } });
    this.leader = meter.createObservableUpDownCounter(metricNames.leader, {
      description: '1 while this candidate leads the election, 0 otherwise',
      unit: '{leader}',
    });
    // The SDK runs observable callbacks before it reads its synchronous instruments, so the
    // queue flushed here is in this very collection.
    meter.addBatchObservableCallback(
      (result) => {
        this.flush();
        const observe = (term: GaugedTerm, value: number): void =>
          result.observe(this.leader, value, {
            [metricAttributes.election]: term.election,
            [metricAttributes.backend]: backend(),
            [metricAttributes.candidate]: term.id,
          });
        const live = new Set<string>();
        for (const term of this.leading) {
          const key = seriesKey(term);
          if (live.has(key)) continue;
          live.add(key);
          observe(term, 1);
        }
        for (const [key, term] of this.endedSinceCollection) if (!live.has(key)) observe(term, 0);
        this.endedSinceCollection = new Map();
      },
      [this.leader],
    );
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

  /** The gauge reads 1 for `term`'s election and candidate while it is held. */
  leaderElected(term: GaugedTerm): void {
    this.leading.add(term);
  }

  /** The gauge reads 0 for `term`'s election and candidate, unless another of its terms is held. */
  leaderEnded(term: GaugedTerm): void {
    if (this.leading.delete(term)) this.endedSinceCollection.set(seriesKey(term), term);
  }

  /** Records `measure` at the event loop's next turn or the next collection, whichever comes first. */
  later(measure: () => void): void {
    this.pending.push(measure);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush()).unref();
  }

  private flush(): void {
    this.flushScheduled = false;
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    for (const measure of pending) measure();
  }
}

let version: string | undefined;

/** @baton/core's version, for the meter's instrumentation scope. */
function packageVersion(): string {
  version ??= (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  return version;
}
