import { HttpLedger } from './http-ledger.js';
import type { Ledger, LedgerLocation, LedgerOptions } from './ledger.js';

/** A worker's handle on the ledger at `location`. */
export async function openLedger(location: LedgerLocation, options: LedgerOptions): Promise<Ledger> {
  if (location.kind === 'http') return new HttpLedger(location.url, options);
  // Loaded only on postgres://, so that the other backends do not load pg.
  const { PostgresLedger } = await import('./postgres-ledger.js');
  return PostgresLedger.open(location, options);
}
