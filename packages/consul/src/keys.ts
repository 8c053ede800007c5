import type { LeaderInfo } from '@baton/core/adapter';
import type { KvEntry } from './kv-entry.js';

/**
 * The one key of an election, held by the leader's session: `${prefix}/${election}/.lock`,
 * the layout of Consul's own `consul lock` and api.Lock. Appending a fixed last segment keeps
 * the mapping one-to-one even though election names may contain "/".
 */
export function leaderKey(prefix: string, election: string): string {
  return `${prefix}/${election}/.lock`;
}

/** What the key's value holds: the candidate's id and its optional value, as JSON. */
export function encodeRecord(id: string, value: string | undefined): string {
  return JSON.stringify(value === undefined ? { id } : { id, value });
}

export function decodeRecord(text: string | null): { id: string; value?: string } | undefined {
  if (text === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { id, value } = parsed as { id?: unknown; value?: unknown };
    if (typeof id !== 'string') return undefined;
    return typeof value === 'string' ? { id, value } : { id };
  } catch {
    return undefined;
  }
}

/**
 * The fencing token a held key carries. The acquiring write stores Flags = 0, so until the
 * first proclaim the key's ModifyIndex is that write's raft index; a proclaim changes
 * ModifyIndex and therefore writes the token into Flags (a uint64 the key keeps).
 */
export function tokenOf(entry: KvEntry): bigint {
  return entry.Flags > 0 ? BigInt(entry.Flags) : BigInt(entry.ModifyIndex);
}

/** The leader a key names: none when it is absent or no session holds it (released, invalidated). */
export function leaderOf(entry: KvEntry | undefined): LeaderInfo | undefined {
  if (!entry?.Session) return undefined;
  const record = decodeRecord(entry.Value);
  if (!record) return undefined;
  const token = tokenOf(entry);
  return record.value === undefined ? { id: record.id, token } : { id: record.id, value: record.value, token };
}

/** Whether `entry` is still the key a term won: same session, same token. */
export function isHeldBy(entry: KvEntry | undefined, sessionId: string, token: bigint): entry is KvEntry {
  return entry !== undefined && entry.Session === sessionId && tokenOf(entry) === token;
}
