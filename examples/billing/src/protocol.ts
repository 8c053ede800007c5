import type { LedgerLocation } from './ledger.js';
import type { HoldPoint, WorkerEvent } from './worker.js';

/** What a worker process is started with: one JSON argument. */
export interface WorkerConfig {
  readonly id: string;
  readonly backendUrl: string;
  readonly ttlMs: number;
  readonly election: string;
  readonly ledger: LedgerLocation;
  readonly providerUrl: string;
  readonly fencing: boolean;
  readonly idempotency: boolean;
  readonly paceMs: number;
  readonly batchSize: number;
}

/** Driver to worker, one JSON line each on the worker's stdin. */
export type DriverCommand =
  | { readonly cmd: 'hold'; readonly point: HoldPoint }
  | { readonly cmd: 'release' }
  | { readonly cmd: 'stop' };

/** Worker to driver, one JSON line each on the worker's stdout. */
export type WorkerLine =
  | WorkerEvent
  | { readonly type: 'ready'; readonly worker: string; readonly pid: number }
  | { readonly type: 'exiting'; readonly worker: string };

export function encode(message: WorkerLine | DriverCommand): string {
  return `${JSON.stringify(message)}\n`;
}

/** Splits a stream of text into lines, keeping a partial last line for the next chunk. */
export function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let buffered = '';
  return (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onLine(line);
  };
}

export function parseCommand(line: string): DriverCommand | undefined {
  const value = parseObject(line);
  if (value?.cmd === 'release' || value?.cmd === 'stop') return { cmd: value.cmd };
  if (value?.cmd === 'hold' && (value.point === 'after-claim' || value.point === 'after-charge')) {
    return { cmd: 'hold', point: value.point };
  }
  return undefined;
}

const LINE_TYPES = new Set([
  'ready',
  'exiting',
  'elected',
  'lost',
  'claimed',
  'charged',
  'recorded',
  'rejected',
  'conflict',
  'holding',
  'error',
]);

/** A worker's stdout line, or undefined for anything else it printed. Trusts the worker's shapes. */
export function parseWorkerLine(line: string): WorkerLine | undefined {
  const value = parseObject(line);
  if (typeof value?.type !== 'string' || !LINE_TYPES.has(value.type) || typeof value.worker !== 'string') {
    return undefined;
  }
  return value as unknown as WorkerLine;
}

export function parseConfig(text: string | undefined): WorkerConfig {
  const value = text === undefined ? undefined : parseObject(text);
  if (
    typeof value?.id !== 'string' ||
    typeof value.backendUrl !== 'string' ||
    typeof value.ttlMs !== 'number' ||
    typeof value.election !== 'string' ||
    typeof value.ledger !== 'object' ||
    value.ledger === null ||
    typeof value.providerUrl !== 'string' ||
    typeof value.fencing !== 'boolean' ||
    typeof value.idempotency !== 'boolean' ||
    typeof value.paceMs !== 'number' ||
    typeof value.batchSize !== 'number'
  ) {
    throw new Error(`worker-process: expected one JSON argument with the worker's config, got ${String(text)}`);
  }
  return value as unknown as WorkerConfig;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
