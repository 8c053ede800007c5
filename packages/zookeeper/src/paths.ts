/**
 * Baton's node layout in ZooKeeper:
 *
 *   ${chroot}/baton/${election}/n_${nonce}_${sequence}
 *
 * one EPHEMERAL_SEQUENTIAL node per candidate, data `{"id":...,"value":...}`. The lowest
 * sequence leads. The nonce (random per attempt) lets a candidate find its own node when
 * the reply to its create was lost, as Curator's protected mode does.
 */
export const ROOT = 'baton';
export const NODE_PREFIX = 'n_';

export function electionPath(chroot: string, election: string): string {
  return `${chroot}/${ROOT}/${election}`;
}

export function candidatePrefix(base: string, nonce: string): string {
  return `${base}/${NODE_PREFIX}${nonce}_`;
}

export interface Child {
  readonly name: string;
  readonly sequence: number;
}

/** The sequence suffix ZooKeeper appended (10 digits), or undefined for a name that is not a candidate's. */
export function sequenceOf(name: string): number | undefined {
  const match = /^n_.*?(\d{10})$/.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Candidates in line order: by sequence, lowest (the leader) first. */
export function inLineOrder(children: readonly string[]): Child[] {
  const line: Child[] = [];
  for (const name of children) {
    const sequence = sequenceOf(name);
    if (sequence !== undefined) line.push({ name, sequence });
  }
  return line.sort((a, b) => a.sequence - b.sequence);
}

/** Every ancestor of `path`, shallowest first, and `path` itself. */
export function ancestry(path: string): string[] {
  const parts = path.split('/').filter((part) => part !== '');
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
}

export interface NodeRecord {
  readonly id: string;
  readonly value?: string;
}

export function encodeRecord(id: string, value: string | undefined): string {
  return JSON.stringify(value === undefined ? { id } : { id, value });
}

/** Reads a candidate node's data; a node written by someone else still yields an id. */
export function decodeRecord(data: string, fallbackId: string): NodeRecord {
  try {
    const parsed: unknown = JSON.parse(data);
    if (typeof parsed === 'object' && parsed !== null) {
      const { id, value } = parsed as { id?: unknown; value?: unknown };
      const record: NodeRecord = { id: typeof id === 'string' ? id : fallbackId };
      return typeof value === 'string' ? { ...record, value } : record;
    }
  } catch {
    // Not Baton's data.
  }
  return { id: fallbackId };
}
