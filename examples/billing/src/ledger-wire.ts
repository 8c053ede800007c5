/**
 * How the served ledger's requests and answers travel: `POST /<op>` with the arguments as one
 * JSON object, answered with `{ "result": ... }` or, on failure, `{ "error": "..." }`.
 * Fencing tokens are 64-bit, beyond a JSON number's exact range, so every `token` and `fence`
 * travels as a decimal string and comes back as a bigint.
 */

/** The ledger's operations, one per method of `Ledger` a worker or the driver calls. */
export const LEDGER_OPS = [
  'seed',
  'enter-term',
  'claim',
  'mark-charged',
  'open',
  'status-of',
  'counts',
  'invoices',
  'rejected-writes',
] as const;

export type LedgerOp = (typeof LEDGER_OPS)[number];

export function isLedgerOp(value: string): value is LedgerOp {
  return (LEDGER_OPS as readonly string[]).includes(value);
}

const TOKEN_KEYS = new Set(['token', 'fence']);

/** JSON text of `value`, bigints as decimal strings. */
export function toWire(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) => (typeof field === 'bigint' ? field.toString() : field));
}

/**
 * The value of JSON `text`, with every `token` and `fence` that is a string turned back into a
 * bigint.
 * @throws SyntaxError when `text` is not JSON, or a token is not a non-negative decimal integer.
 */
export function fromWire(text: string): unknown {
  return JSON.parse(text, (key, field: unknown) => {
    if (!TOKEN_KEYS.has(key) || typeof field !== 'string') return field;
    if (!/^\d{1,20}$/.test(field))
      throw new SyntaxError(`${key} must be a decimal integer, got ${JSON.stringify(field)}`);
    return BigInt(field);
  });
}
