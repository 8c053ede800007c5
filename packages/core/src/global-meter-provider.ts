import { createRequire } from 'node:module';
import type { MeterProviderLike } from './meter-provider.js';

interface MetricsApi {
  readonly metrics: { getMeterProvider(): MeterProviderLike };
}

let api: MetricsApi | null | undefined;

/**
 * The application's global MeterProvider, through `@opentelemetry/api` when it is installed
 * (an optional peer dependency); undefined when it is not, and then Baton records no metrics.
 * Loaded with require(), once, on first use: synchronously, so that @baton/core still loads
 * with require() (no top-level await), and at no cost to an application that never leads.
 */
export function globalMeterProvider(): MeterProviderLike | undefined {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as MetricsApi;
    } catch {
      api = null;
    }
  }
  return api?.metrics.getMeterProvider();
}
