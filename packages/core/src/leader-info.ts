import type { LeaderInfo } from './election.js';

function toJSON(this: LeaderInfo): { id: string; value?: string; token: string } {
  return this.value === undefined
    ? { id: this.id, token: this.token.toString() }
    : { id: this.id, value: this.value, token: this.token.toString() };
}

/**
 * `info` made serialisable: JSON cannot carry a bigint, so `JSON.stringify` gives the token
 * as a decimal string (`BigInt(json.token)` reads it back). `toJSON` is not enumerable, so
 * the object still compares and spreads as a plain `{ id, value?, token }`.
 */
export function serialisable(info: LeaderInfo | undefined): LeaderInfo | undefined {
  if (info === undefined || Object.hasOwn(info, 'toJSON')) return info;
  return Object.defineProperty({ ...info }, 'toJSON', { value: toJSON, enumerable: false });
}
