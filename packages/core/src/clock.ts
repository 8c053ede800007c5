import { performance } from 'node:perf_hooks';

/**
 * Milliseconds on the monotonic clock. Every deadline in Baton is measured here, never
 * on the wall clock, which can jump when NTP corrects it.
 */
export function monotonicNow(): number {
  return performance.now();
}
