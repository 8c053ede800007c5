/**
 * The part of OpenTelemetry's metrics API that Baton calls, written out structurally so that
 * @baton/core's types never require @opentelemetry/api: a MeterProvider of
 * `@opentelemetry/sdk-metrics` (or of any SDK implementing the API) fits it.
 */

/** Attributes of one measurement. */
export type MetricAttributes = Readonly<Record<string, string | number | boolean>>;

/** A Counter or UpDownCounter. */
export interface CounterLike {
  add(value: number, attributes?: MetricAttributes): void;
}

/** A Histogram. */
export interface HistogramLike {
  record(value: number, attributes?: MetricAttributes): void;
}

/** What an instrument is created with: OpenTelemetry's MetricOptions, as far as Baton uses them. */
export interface InstrumentOptionsLike {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** An asynchronous instrument (ObservableUpDownCounter), reported by a callback at each collection. */
// biome-ignore lint/suspicious/noEmptyInterface: only its identity matters, as in OpenTelemetry's API
export interface ObservableLike {}

/** What a batch observable callback reports into. */
export interface BatchObservableResultLike {
  observe(observable: ObservableLike, value: number, attributes?: MetricAttributes): void;
}

/** An OpenTelemetry Meter, as far as Baton uses it. */
export interface MeterLike {
  createCounter(name: string, options?: InstrumentOptionsLike): CounterLike;
  createObservableUpDownCounter(name: string, options?: InstrumentOptionsLike): ObservableLike;
  createHistogram(name: string, options?: InstrumentOptionsLike): HistogramLike;
  addBatchObservableCallback(
    callback: (result: BatchObservableResultLike) => void,
    observables: ObservableLike[],
  ): void;
}

/** An OpenTelemetry MeterProvider, e.g. `new MeterProvider({ readers })` of `@opentelemetry/sdk-metrics`. */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}
