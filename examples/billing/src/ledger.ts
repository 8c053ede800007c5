/**
 * Where the workers find the invoices: in the driver's memory, served over HTTP on 127.0.0.1,
 * or in tables of the coordination store's own PostgreSQL database.
 */
export type LedgerLocation =
  | {
      readonly kind: 'http';
      /** The driver's ledger server, `http://127.0.0.1:<port>`. */
      readonly url: string;
    }
  | {
      readonly kind: 'postgres';
      /** The Baton URL of the database (the ledger's tables go in the same database as the election). */
      readonly url: string;
      /** The schema of the demo's tables, one per run. */
      readonly schema: string;
      /** The election whose leader may write (transactional fencing checks it in each write). */
      readonly election: string;
    };

export type InvoiceStatus = 'due' | 'charging' | 'charged';

export interface Invoice {
  readonly id: number;
  readonly customer: string;
  readonly amountCents: number;
}

export interface InvoiceRecord extends Invoice {
  readonly status: InvoiceStatus;
  readonly token: bigint | null;
  readonly chargeId: string | null;
  readonly worker: string | null;
}

/**
 * What a ledger write came to. `stale`: the fence holds a higher token than the writer's,
 * so a newer leader exists and the write was refused. `conflict`: the token was fine but the
 * row was not in a state the write applies to (someone already finished it).
 */
export type WriteOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'stale'; readonly fence: bigint }
  | { readonly kind: 'conflict'; readonly status: InvoiceStatus | undefined };

export interface RejectedWrite {
  readonly invoice: number;
  readonly op: string;
  readonly token: bigint;
  readonly fence: bigint;
  readonly worker: string;
}

export interface LedgerCounts {
  readonly due: number;
  readonly charging: number;
  readonly charged: number;
}

export interface LedgerOptions {
  /** Off for the negative control: writes then ignore tokens, as a naive worker's would. */
  readonly fencing: boolean;
}

/**
 * The invoices, as a worker and the driver use them. Every write a leader makes carries its
 * fencing token and is checked atomically with the write (one synchronous step in memory, one
 * transaction in PostgreSQL): a paused ex-leader that wakes up after a newer leader has taken
 * over cannot slip a write in between a check and the write.
 */
export interface Ledger {
  /** Where the ledger is, for the log. */
  readonly where: string;
  readonly fencing: boolean;
  /** Adds `count` due invoices. */
  seed(count: number): Promise<void>;
  /** A new leader's first act: fences off the previous leader at once, or finds itself stale. */
  enterTerm(token: bigint, worker: string): Promise<WriteOutcome>;
  /** Step 1: marks the invoice as being charged by the holder of `token`. */
  claim(id: number, token: bigint, worker: string): Promise<WriteOutcome>;
  /** Step 3: records the provider's charge id, if the claim is still this token's. */
  markCharged(id: number, token: bigint, worker: string, chargeId: string): Promise<WriteOutcome>;
  /** Invoices still to charge: due ones, and ones a previous leader claimed but never finished. */
  open(limit: number): Promise<Invoice[]>;
  statusOf(id: number): Promise<InvoiceStatus | undefined>;
  counts(): Promise<LedgerCounts>;
  invoices(): Promise<InvoiceRecord[]>;
  rejectedWrites(): Promise<RejectedWrite[]>;
  close(): Promise<void>;
  /** Closes, and removes what the run created where the driver cannot (the PostgreSQL schema). */
  discard(): Promise<void>;
}
