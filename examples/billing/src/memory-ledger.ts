import type {
  Invoice,
  InvoiceRecord,
  InvoiceStatus,
  Ledger,
  LedgerCounts,
  LedgerOptions,
  RejectedWrite,
  WriteOutcome,
} from './ledger.js';

interface Row {
  readonly id: number;
  readonly customer: string;
  readonly amountCents: number;
  status: InvoiceStatus;
  token: bigint | null;
  chargeId: string | null;
  worker: string | null;
}

/**
 * The invoices in the memory of one process, the driver's, which serves them to every worker
 * (ledger-server.ts). A fence keeps the highest token that has written. Each write checks
 * the fence and applies the write in one synchronous step, with no `await` in between, so
 * nothing can run between the check and the write: the same atomicity a database gives a
 * write and its token check in one transaction. A paused ex-leader's late write arrives
 * whenever the ex-leader wakes up, finds the fence above its token, and is refused and
 * recorded.
 */
export class MemoryLedger implements Ledger {
  readonly where = 'the memory of the driver process';
  readonly fencing: boolean;
  /** By id; ids are inserted in increasing order, so the map iterates in id order. */
  private readonly rows = new Map<number, Row>();
  private readonly rejected: RejectedWrite[] = [];
  private fence = 0n;

  /** @param options.fencing off for the negative control: writes then ignore tokens. */
  constructor(options: LedgerOptions = { fencing: true }) {
    this.fencing = options.fencing;
  }

  /**
   * Adds `count` due invoices after the last one.
   * @throws Error when `count` is not a non-negative integer.
   */
  async seed(count: number): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 0) throw new Error(`seed: count must be an integer >= 0, got ${count}`);
    const first = this.rows.size + 1;
    for (let id = first; id < first + count; id++) {
      this.rows.set(id, {
        id,
        customer: `cus_${String(id).padStart(4, '0')}`,
        amountCents: 500 + ((id * 37) % 50) * 100,
        status: 'due',
        token: null,
        chargeId: null,
        worker: null,
      });
    }
  }

  /**
   * Raises the fence to a new leader's token as its first act, so that the previous leader is
   * fenced off at once, not only on invoices the new leader happens to touch.
   */
  async enterTerm(token: bigint, worker: string): Promise<WriteOutcome> {
    if (!this.fencing) return { kind: 'ok' };
    this.raise(token);
    return token < this.fence ? this.reject(0, 'enter-term', token, worker) : { kind: 'ok' };
  }

  /** Step 1: marks the invoice as being charged by the holder of `token`. */
  async claim(id: number, token: bigint, worker: string): Promise<WriteOutcome> {
    const row = this.rows.get(id);
    if (this.fencing) {
      this.raise(token);
      if (token < this.fence) return this.reject(id, 'claim', token, worker);
    }
    // A claim takes over an unfinished one: without a newer token, the old leader is gone.
    if (row?.status !== 'due' && row?.status !== 'charging') return { kind: 'conflict', status: row?.status };
    row.status = 'charging';
    row.token = token;
    row.worker = worker;
    return { kind: 'ok' };
  }

  /** Step 3: records the provider's charge id, if the claim is still this token's. */
  async markCharged(id: number, token: bigint, worker: string, chargeId: string): Promise<WriteOutcome> {
    const row = this.rows.get(id);
    if (this.fencing) {
      this.raise(token);
      if (token < this.fence) return this.reject(id, 'mark-charged', token, worker);
      if (row?.status !== 'charging' || row.token !== token) return { kind: 'conflict', status: row?.status };
    } else if (!row) {
      return { kind: 'conflict', status: undefined };
    }
    // Without fencing a worker cannot tell its own claim from anyone else's: it writes regardless.
    row.status = 'charged';
    row.chargeId = chargeId;
    row.worker = worker;
    return { kind: 'ok' };
  }

  /** Invoices still to charge: due ones, and ones a previous leader claimed but never finished. */
  async open(limit: number): Promise<Invoice[]> {
    const found: Invoice[] = [];
    for (const row of this.rows.values()) {
      if (found.length >= limit) break;
      if (row.status !== 'charged') found.push({ id: row.id, customer: row.customer, amountCents: row.amountCents });
    }
    return found;
  }

  async statusOf(id: number): Promise<InvoiceStatus | undefined> {
    return this.rows.get(id)?.status;
  }

  async counts(): Promise<LedgerCounts> {
    const counts = { due: 0, charging: 0, charged: 0 };
    for (const row of this.rows.values()) counts[row.status] += 1;
    return counts;
  }

  async invoices(): Promise<InvoiceRecord[]> {
    return Array.from(this.rows.values(), (row) => ({ ...row }));
  }

  async rejectedWrites(): Promise<RejectedWrite[]> {
    return [...this.rejected];
  }

  /** Nothing to release: the ledger lives as long as its process. */
  async close(): Promise<void> {}

  async discard(): Promise<void> {}

  private raise(token: bigint): void {
    if (token > this.fence) this.fence = token;
  }

  private reject(invoice: number, op: string, token: bigint, worker: string): WriteOutcome {
    this.rejected.push({ invoice, op, token, fence: this.fence, worker });
    return { kind: 'stale', fence: this.fence };
  }
}
