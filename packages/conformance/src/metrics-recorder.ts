import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';

/** One data point of one metric, flattened from what the OpenTelemetry SDK exports. */
export interface MetricPoint {
  readonly name: string;
  readonly unit: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** A sum's or gauge's value; a histogram's count. */
  readonly value: number;
  /** A histogram's sum (in its unit). */
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
}

/**
 * An OpenTelemetry SDK MeterProvider whose metrics land in the SDK's in-memory exporter, for a
 * test to read: pass `provider` to `connect({ meterProvider })`, then `collect()`.
 */
export class MetricsRecorder {
  readonly provider: MeterProvider;
  private readonly exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  private readonly reader: PeriodicExportingMetricReader;

  constructor() {
    // Exported only when collect() flushes: a test reads at the moments it chooses.
    this.reader = new PeriodicExportingMetricReader({ exporter: this.exporter, exportIntervalMillis: 3_600_000 });
    this.provider = new MeterProvider({ readers: [this.reader] });
  }

  /** Every data point now, cumulative since the start. */
  async collect(): Promise<MetricPoint[]> {
    await this.reader.forceFlush();
    const exported = this.exporter.getMetrics().at(-1);
    this.exporter.reset();
    const points: MetricPoint[] = [];
    for (const scope of exported?.scopeMetrics ?? []) {
      for (const metric of scope.metrics) {
        const { name, unit } = metric.descriptor;
        for (const point of metric.dataPoints) {
          const attributes = { ...point.attributes };
          if (metric.dataPointType === DataPointType.HISTOGRAM) {
            const histogram = point.value as { count: number; sum?: number; min?: number; max?: number };
            points.push({
              name,
              unit,
              attributes,
              value: histogram.count,
              ...(histogram.sum === undefined ? {} : { sum: histogram.sum }),
              ...(histogram.min === undefined ? {} : { min: histogram.min }),
              ...(histogram.max === undefined ? {} : { max: histogram.max }),
            });
          } else {
            points.push({ name, unit, attributes, value: point.value as number });
          }
        }
      }
    }
    return points;
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

/** The points named `name` whose attributes include `match`. */
export function pointsOf(
  points: readonly MetricPoint[],
  name: string,
  match: Readonly<Record<string, unknown>> = {},
): MetricPoint[] {
  return points.filter(
    (point) => point.name === name && Object.entries(match).every(([key, value]) => point.attributes[key] === value),
  );
}

/** The summed value of the points named `name` matching `match` (0 when there are none). */
export function metricValue(
  points: readonly MetricPoint[],
  name: string,
  match: Readonly<Record<string, unknown>> = {},
): number {
  return pointsOf(points, name, match).reduce((total, point) => total + point.value, 0);
}
