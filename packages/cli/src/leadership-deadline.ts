import type { Leadership } from '@baton/core';

/**
 * The leadership's local deadline: the monotonic time (ms, `performance.now()`) after which
 * its client no longer counts itself leader unless a renewal is confirmed; undefined when
 * its store gives none. The one place that reads it, so that the day `Leadership` declares
 * `validUntil` this becomes a plain property read.
 */
export function localDeadline(leadership: Leadership): number | undefined {
  const validUntil = (leadership as { validUntil?: number }).validUntil;
  return typeof validUntil === 'number' && Number.isFinite(validUntil) ? validUntil : undefined;
}
