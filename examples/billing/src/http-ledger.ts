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
import { fromWire, type LedgerOp, toWire } from './ledger-wire.js';

/**
 * A worker's handle on the ledger the driver serves (ledger-server.ts): every call is one
 * HTTP request, and the check of the token against the fence happens there, together with
 * the write. Answers are taken in the shapes the server sends.
 */
export class HttpLedger implements Ledger {
  readonly where: string;
  /** As the worker was told; the serving ledger is the one that applies it. */
  readonly fencing: boolean;
  private readonly url: string;
  private readonly timeoutMs: number;

  /**
   * @param url the server's `http://127.0.0.1:<port>`
   * @param timeoutMs how long one call may take before it fails
   * @default timeoutMs 5000
   */
  constructor(url: string, options: LedgerOptions, timeoutMs = 5_000) {
    this.url = url;
    this.where = `the ledger served at ${url}`;
    this.fencing = options.fencing;
    this.timeoutMs = timeoutMs;
  }

  async seed(count: number): Promise<void> {
    await this.call('seed', { count });
  }

  enterTerm(token: bigint, worker: string): Promise<WriteOutcome> {
    return this.call('enter-term', { token, worker }) as Promise<WriteOutcome>;
  }

  claim(id: number, token: bigint, worker: string): Promise<WriteOutcome> {
    return this.call('claim', { id, token, worker }) as Promise<WriteOutcome>;
  }

  markCharged(id: number, token: bigint, worker: string, chargeId: string): Promise<WriteOutcome> {
    return this.call('mark-charged', { id, token, worker, chargeId }) as Promise<WriteOutcome>;
  }

  open(limit: number): Promise<Invoice[]> {
    return this.call('open', { limit }) as Promise<Invoice[]>;
  }

  statusOf(id: number): Promise<InvoiceStatus | undefined> {
    return this.call('status-of', { id }) as Promise<InvoiceStatus | undefined>;
  }

  counts(): Promise<LedgerCounts> {
    return this.call('counts') as Promise<LedgerCounts>;
  }

  invoices(): Promise<InvoiceRecord[]> {
    return this.call('invoices') as Promise<InvoiceRecord[]>;
  }

  rejectedWrites(): Promise<RejectedWrite[]> {
    return this.call('rejected-writes') as Promise<RejectedWrite[]>;
  }

  /** Nothing to release: each call is a request of its own. */
  async close(): Promise<void> {}

  /** The ledger belongs to the process that serves it: it removes it. */
  async discard(): Promise<void> {}

  /**
   * @throws Error when the server cannot be reached in time or refuses the request.
   */
  private async call(op: LedgerOp, args: Record<string, unknown> = {}): Promise<unknown> {
    const response = await fetch(`${this.url}/${op}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: toWire(args),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    let answer: { result?: unknown; error?: unknown } | undefined;
    try {
      answer = fromWire(text) as typeof answer;
    } catch {
      answer = undefined;
    }
    if (!response.ok || typeof answer !== 'object' || answer === null) {
      throw new Error(`ledger ${op} answered ${response.status}: ${String(answer?.error ?? text.slice(0, 200))}`);
    }
    return answer.result;
  }
}
