import type { Ledger, LedgerLocation, LedgerOptions } from './ledger.js';
import { serveLedger } from './ledger-server.js';
import { MemoryLedger } from './memory-ledger.js';
import { openLedger } from './open-ledger.js';

/** The ledger of one run, as the driver holds it. */
export interface HostedLedger {
  /** The driver's own handle: it seeds, watches progress and reads the rejections. */
  readonly ledger: Ledger;
  /** Where the workers find it. */
  readonly location: LedgerLocation;
  /** For the log. */
  readonly where: string;
  /** Stops serving it and removes what the run created. */
  close(): Promise<void>;
}

/**
 * Sets up the ledger of a run on `backend`, written by the leaders of `election`. On
 * postgres:// it lives in tables of that database, in a schema of its own for the run, where
 * each write is a transaction fenced by the election. On any other backend it lives in this
 * process's memory and is served to the workers over HTTP on 127.0.0.1: one event loop
 * checks each write against the fence and applies it, so no native database is needed.
 */
export async function hostLedger(backend: string, election: string, options: LedgerOptions): Promise<HostedLedger> {
  if (/^postgres(ql)?:/i.test(backend)) {
    const schema = `billing_demo_${process.pid}_${Date.now().toString(36)}`;
    const location: LedgerLocation = { kind: 'postgres', url: backend, schema, election };
    const ledger = await openLedger(location, options);
    return { ledger, location, where: ledger.where, close: () => ledger.discard() };
  }
  const ledger = new MemoryLedger(options);
  const server = await serveLedger(ledger);
  return {
    ledger,
    location: { kind: 'http', url: server.url },
    where: `the driver's memory, served at ${server.url}`,
    close: () => server.close(),
  };
}
