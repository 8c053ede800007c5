/**
 * Key layout. Every key of one election carries the election name as its hash tag, so
 * that a Redis Cluster puts them in one slot and a Lua script may touch them together:
 *
 *   <prefix>:{<name>}:owner    the leader: JSON {id, token, nonce, value?}, with a PX ttl
 *   <prefix>:{<name>}:token    the fencing counter, no ttl
 *   <prefix>:{<name>}:events   the pub/sub channel: 'acquired:<token>', 'released:<token>', 'proclaimed:<token>'
 *
 * and, when the server publishes keyspace events (notify-keyspace-events Kg$xe), the owner
 * key's keyspace channel `__keyspace@<db>__:<owner>`, which also tells of deletions and
 * expiries that no script announces.
 *
 * Election names cannot contain braces, so the tag is always exactly the name.
 */
export interface ElectionKeys {
  readonly owner: string;
  readonly counter: string;
  readonly channel: string;
  /** The owner key's keyspace-notification channel. */
  readonly keyspace: string;
  /** The Redis Cluster hash slot of the owner and counter keys. */
  readonly slot: number;
}

export const DEFAULT_PREFIX = 'baton';

export function electionKeys(prefix: string, name: string, db = 0): ElectionKeys {
  const base = `${prefix}:{${name}}`;
  const owner = `${base}:owner`;
  return {
    owner,
    counter: `${base}:token`,
    channel: `${base}:events`,
    keyspace: `__keyspace@${db}__:${owner}`,
    slot: hashSlot(name),
  };
}

/** Keyspace events after which the owner key no longer exists. */
export const GONE_EVENTS: ReadonlySet<string> = new Set(['del', 'expired', 'evicted']);

/** What happened, as published on an election's channel: `<event>:<token of the term concerned>`. */
export type ElectionEvent = 'acquired' | 'released' | 'proclaimed';

export function parseEvent(message: string): { event: string; token: bigint | undefined } {
  const colon = message.indexOf(':');
  const event = colon < 0 ? message : message.slice(0, colon);
  const tokenText = colon < 0 ? '' : message.slice(colon + 1);
  return { event, token: /^\d{1,30}$/.test(tokenText) ? BigInt(tokenText) : undefined };
}

// CRC16/XMODEM, as Redis Cluster uses to map a hash tag to one of 16384 slots.
const table = (() => {
  const entries = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    entries[i] = crc;
  }
  return entries;
})();

/** The cluster slot of a hash tag. Renewals on a Cluster are batched per slot, because a script cannot cross slots. */
export function hashSlot(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag, 'utf8')) {
    crc = ((crc << 8) & 0xffff) ^ (table[((crc >> 8) ^ byte) & 0xff] ?? 0);
  }
  return crc & 0x3fff;
}
