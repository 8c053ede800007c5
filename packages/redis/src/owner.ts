import type { LeaderInfo } from '@baton/core/adapter';

/**
 * Reads an owner record as observers see it. A value Baton did not write (a foreign SET)
 * still means the election is taken: it is reported with what can be read from it, and
 * token 0 when it carries none.
 */
export function parseOwner(raw: unknown): LeaderInfo | undefined {
  if (raw === null || raw === undefined) return undefined;
  let record: unknown;
  try {
    record = JSON.parse(String(raw));
  } catch {
    record = undefined;
  }
  const fields = typeof record === 'object' && record !== null ? (record as Record<string, unknown>) : {};
  const id = typeof fields.id === 'string' ? fields.id : 'unknown';
  const token = typeof fields.token === 'string' && /^\d+$/.test(fields.token) ? BigInt(fields.token) : 0n;
  return typeof fields.value === 'string' ? { id, value: fields.value, token } : { id, token };
}
