import type { Ledger, LedgerLocation, LedgerOptions } from './ledger.js';
import { SqliteLedger } from './sqlite-ledger.js';

/** Opens (and creates, if needed) the ledger at `location`. */
export async function openLedger(location: LedgerLocation, options: LedgerOptions): Promise<Ledger> {
  if (location.kind === 'sqlite') return SqliteLedger.open(location.path, options);
  const { PostgresLedger } = await import('./postgres-ledger.js');
  return PostgresLedger.open(location, options);
}
