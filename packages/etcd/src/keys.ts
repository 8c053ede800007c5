import type { LeaderInfo } from '@baton/core/adapter';

/**
 * Key layout: `${prefix}/${election}/@/${leaseIdHex}-${seq}`, one key per candidate.
 *
 * The `@` segment closes the election's name: `@` is not allowed in names, so the range of
 * election `a` (`/baton/a/@/`) never contains the keys of election `a/b` (`/baton/a/b/@/`).
 * The lease id names the client; `seq` lets one client run several candidates in one election.
 */
export function electionPrefix(prefix: string, election: string): string {
  return `${prefix}/${election}/@/`;
}

export function candidateKey(electionKeyPrefix: string, leaseId: string, seq: number): string {
  return `${electionKeyPrefix}${BigInt(leaseId).toString(16)}-${seq.toString(16)}`;
}

/** The end of the range of keys that start with `prefix`, as etcd's clientv3.GetPrefixRangeEnd. */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff: every key after the prefix.
  return Buffer.from([0]);
}

/** What a candidate key holds. */
export interface CandidateValue {
  readonly id: string;
  readonly value?: string;
}

export function encodeValue(id: string, value: string | undefined): Buffer {
  return Buffer.from(JSON.stringify(value === undefined ? { id } : { id, value }), 'utf8');
}

/** Reads a candidate value; a key written by something else still reads as a leader, named by its key. */
export function decodeValue(raw: Buffer, key: Buffer): CandidateValue {
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { id?: unknown }).id === 'string') {
      const { id, value } = parsed as { id: string; value?: unknown };
      return typeof value === 'string' ? { id, value } : { id };
    }
  } catch {
    // Not ours; fall through.
  }
  const name = key.toString('utf8');
  return { id: name.slice(name.lastIndexOf('/') + 1), value: raw.toString('utf8') };
}

export function leaderInfo(kv: { key: Buffer; value: Buffer; create_revision: string }): LeaderInfo {
  const { id, value } = decodeValue(kv.value, kv.key);
  const token = BigInt(kv.create_revision);
  return value === undefined ? { id, token } : { id, value, token };
}
