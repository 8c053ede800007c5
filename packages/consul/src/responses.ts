import type { IncomingHttpHeaders } from 'node:http';
import { responseText } from './errors.js';
import type { KvEntry } from './kv-entry.js';

/** A response body as JSON when it is JSON text, else as it came. */
export function parseBody(body: unknown): unknown {
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return body;
  const text = responseText(body);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The X-Consul-Index of a response: the raft index a blocking query waits from; 0 when absent. */
export function consulIndex(headers: IncomingHttpHeaders): bigint {
  const raw = headers['x-consul-index'];
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (text === undefined || !/^\d+$/.test(text)) return 0n;
  return BigInt(text);
}

/** Entries from kv.get have their Value decoded by the client; txn results keep base64. */
export function parseEntry(value: unknown, base64 = false): KvEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const raw = value as Record<string, unknown>;
  if (typeof raw.Key !== 'string') return undefined;
  let text: string | null = null;
  if (typeof raw.Value === 'string') text = base64 ? Buffer.from(raw.Value, 'base64').toString('utf8') : raw.Value;
  return {
    Key: raw.Key,
    Value: text,
    Flags: typeof raw.Flags === 'number' ? raw.Flags : 0,
    ...(typeof raw.Session === 'string' && raw.Session !== '' ? { Session: raw.Session } : {}),
    CreateIndex: typeof raw.CreateIndex === 'number' ? raw.CreateIndex : 0,
    ModifyIndex: typeof raw.ModifyIndex === 'number' ? raw.ModifyIndex : 0,
    LockIndex: typeof raw.LockIndex === 'number' ? raw.LockIndex : 0,
  };
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses Go's time.Duration text ("10s", "1m30s", "1.5s"); undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((total, part) => total + Number(part[1]) * (DURATION_UNITS[part[2] ?? 's'] ?? 0), 0);
}
