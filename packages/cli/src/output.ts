import type { OutputMode } from './arguments.js';

export type FieldValue = string | number | boolean | bigint | null | undefined | { readonly [key: string]: FieldValue };
/** An event's fields. Text mode prints the flat ones; JSON mode prints all. */
export type Fields = Readonly<Record<string, FieldValue>>;

export interface Streams {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

/**
 * Where `baton` writes. Results (a leader, an observed change, a doctor's report) go to
 * stdout; status events of `run` go to stderr, because stdout belongs to the command it
 * runs. Text mode writes one human line per event, `--json` one JSON object per line with
 * an `event` and a `time`, `--quiet` nothing but errors.
 */
export class Output {
  readonly mode: OutputMode;
  private readonly streams: Streams;

  constructor(mode: OutputMode, streams: Streams = { out: process.stdout, err: process.stderr }) {
    this.mode = mode;
    this.streams = streams;
  }

  /** A status event (stderr). */
  status(event: string, fields: Fields, text: string): void {
    this.write(this.streams.err, event, fields, `baton: ${text}`);
  }

  /** A result line (stdout). */
  result(event: string, fields: Fields, text: string): void {
    this.write(this.streams.out, event, fields, text);
  }

  /** An error (stderr), printed whatever the mode. `hint` says what to check. */
  error(fields: { readonly code: string; readonly message: string; readonly hint?: string | undefined }): void {
    if (this.mode === 'json') {
      this.streams.err.write(`${json({ event: 'error', time: new Date().toISOString(), ...fields })}\n`);
      return;
    }
    this.streams.err.write(`baton: ${fields.code}: ${fields.message}\n`);
    if (fields.hint) this.streams.err.write(`baton: check: ${fields.hint}\n`);
  }

  /** Free text (help, usage) on the given stream, whatever the mode. */
  text(stream: 'out' | 'err', text: string): void {
    this.streams[stream].write(text.endsWith('\n') ? text : `${text}\n`);
  }

  private write(stream: NodeJS.WritableStream, event: string, fields: Fields, text: string): void {
    if (this.mode === 'quiet') return;
    if (this.mode === 'json') {
      stream.write(`${json({ event, time: new Date().toISOString(), ...fields })}\n`);
      return;
    }
    stream.write(`${text}\n`);
  }
}

/** JSON with bigints as decimal strings (fencing tokens exceed 2^53 on some stores). */
export function json(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
}

/** `key=value` pairs; values with spaces, quotes or `=` are JSON-quoted. Undefined fields are left out. */
export function logfmt(fields: Fields): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined && (typeof value !== 'object' || value === null))
    .map(([key, value]) => {
      const text = value === null ? 'null' : String(value);
      return `${key}=${/^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text)}`;
    })
    .join(' ');
}
