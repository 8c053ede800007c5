import Database from 'better-sqlite3';
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

/** The one resource every leader writes to; the fence keeps the highest token it has seen. */
const RESOURCE = 'invoices';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS invoices (
  id           INTEGER PRIMARY KEY,
  customer     TEXT    NOT NULL,
  amount_cents INTEGER NOT NULL,
  status       TEXT    NOT NULL DEFAULT 'due' CHECK (status IN ('due', 'charging', 'charged')),
  token        INTEGER,
  charge_id    TEXT,
  worker       TEXT
);
CREATE TABLE IF NOT EXISTS fence (
  resource TEXT    PRIMARY KEY,
  token    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected_writes (
  seq     INTEGER PRIMARY KEY,
  invoice INTEGER NOT NULL,
  op      TEXT    NOT NULL,
  token   INTEGER NOT NULL,
  fence   INTEGER NOT NULL,
  worker  TEXT    NOT NULL
);
INSERT OR IGNORE INTO fence (resource, token) VALUES ('${RESOURCE}', 0);
`;

interface OpenRow {
  id: number;
  customer: string;
  amount_cents: number;
}

/** As read with safeIntegers: every INTEGER column comes back as a bigint, tokens intact. */
interface InvoiceRow {
  id: bigint;
  customer: string;
  amount_cents: bigint;
  status: InvoiceStatus;
  token: bigint | null;
  charge_id: string | null;
  worker: string | null;
}

/**
 * The invoices, in SQLite (WAL, one file shared by every worker process). Every write a
 * leader makes carries its fencing token and is checked against the fence in the same
 * statement, inside one immediate transaction: a paused ex-leader that wakes up after a
 * newer leader has written cannot slip a write in between a check and the write.
 */
export class SqliteLedger implements Ledger {
  readonly where: string;
  readonly fencing: boolean;
  private readonly db: Database.Database;
  private readonly statements;

  private constructor(path: string, options: LedgerOptions) {
    this.where = path;
    this.fencing = options.fencing;
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // Several processes write the same file; a writer waits for the lock rather than failing.
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.statements = {
      // Raises the fence to the writer's token; a lower token leaves it alone (0 rows).
      raise: db.prepare<{ token: bigint }>(
        `UPDATE fence SET token = :token WHERE resource = '${RESOURCE}' AND token < :token`,
      ),
      fence: db.prepare<[], { token: bigint }>(`SELECT token FROM fence WHERE resource = '${RESOURCE}'`).safeIntegers(),
      fencedClaim: db.prepare<{ id: number; token: bigint; worker: string }>(
        `UPDATE invoices SET status = 'charging', token = :token, worker = :worker
          WHERE id = :id AND status IN ('due', 'charging')
            AND :token >= (SELECT token FROM fence WHERE resource = '${RESOURCE}')`,
      ),
      fencedCharged: db.prepare<{ id: number; token: bigint; worker: string; chargeId: string }>(
        `UPDATE invoices SET status = 'charged', charge_id = :chargeId, worker = :worker
          WHERE id = :id AND status = 'charging' AND token = :token
            AND :token >= (SELECT token FROM fence WHERE resource = '${RESOURCE}')`,
      ),
      // Without fencing a worker cannot tell its own claim from a dead leader's, so it takes any open invoice.
      naiveClaim: db.prepare<{ id: number; token: bigint; worker: string }>(
        `UPDATE invoices SET status = 'charging', token = :token, worker = :worker
          WHERE id = :id AND status IN ('due', 'charging')`,
      ),
      naiveCharged: db.prepare<{ id: number; worker: string; chargeId: string }>(
        `UPDATE invoices SET status = 'charged', charge_id = :chargeId, worker = :worker WHERE id = :id`,
      ),
      reject: db.prepare<{ invoice: number; op: string; token: bigint; fence: bigint; worker: string }>(
        `INSERT INTO rejected_writes (invoice, op, token, fence, worker) VALUES (:invoice, :op, :token, :fence, :worker)`,
      ),
      status: db.prepare<[number], { status: InvoiceStatus }>('SELECT status FROM invoices WHERE id = ?'),
      open: db.prepare<[number], OpenRow>(
        `SELECT id, customer, amount_cents FROM invoices WHERE status IN ('due', 'charging') ORDER BY id LIMIT ?`,
      ),
      all: db.prepare<[], InvoiceRow>('SELECT * FROM invoices ORDER BY id').safeIntegers(),
      counts: db.prepare<[], { status: InvoiceStatus; n: number }>(
        'SELECT status, count(*) AS n FROM invoices GROUP BY status',
      ),
      rejected: db
        .prepare<[], Omit<RejectedWrite, 'invoice'> & { invoice: bigint }>(
          'SELECT invoice, op, token, fence, worker FROM rejected_writes ORDER BY seq',
        )
        .safeIntegers(),
    };
  }

  /** Opens (and creates, if needed) the ledger at `path`. */
  static open(path: string, options: LedgerOptions = { fencing: true }): SqliteLedger {
    return new SqliteLedger(path, options);
  }

  /** Adds `count` due invoices. */
  async seed(count: number): Promise<void> {
    const insert = this.db.prepare<[number, string, number]>(
      'INSERT INTO invoices (id, customer, amount_cents) VALUES (?, ?, ?)',
    );
    this.db.transaction(() => {
      for (let id = 1; id <= count; id++)
        insert.run(id, `cus_${String(id).padStart(4, '0')}`, 500 + ((id * 37) % 50) * 100);
    })();
  }

  /**
   * Raises the fence to a new leader's token as its first act, so that the previous leader is
   * fenced off at once, not only on invoices the new leader happens to touch.
   */
  async enterTerm(token: bigint, worker: string): Promise<WriteOutcome> {
    if (!this.fencing) return { kind: 'ok' };
    return this.db
      .transaction((): WriteOutcome => {
        this.statements.raise.run({ token });
        const fence = this.fenceToken();
        if (token < fence) return this.rejected(0, 'enter-term', token, fence, worker);
        return { kind: 'ok' };
      })
      .immediate();
  }

  /** Step 1: marks the invoice as being charged by the holder of `token`. */
  async claim(id: number, token: bigint, worker: string): Promise<WriteOutcome> {
    if (!this.fencing) return this.naive(id, () => this.statements.naiveClaim.run({ id, token, worker }).changes);
    return this.fenced(
      id,
      'claim',
      token,
      worker,
      () => this.statements.fencedClaim.run({ id, token, worker }).changes,
    );
  }

  /** Step 3: records the provider's charge id, if the claim is still this token's. */
  async markCharged(id: number, token: bigint, worker: string, chargeId: string): Promise<WriteOutcome> {
    if (!this.fencing) return this.naive(id, () => this.statements.naiveCharged.run({ id, worker, chargeId }).changes);
    return this.fenced(
      id,
      'mark-charged',
      token,
      worker,
      () => this.statements.fencedCharged.run({ id, token, worker, chargeId }).changes,
    );
  }

  /** Invoices still to charge: due ones, and ones a previous leader claimed but never finished. */
  async open(limit: number): Promise<Invoice[]> {
    return this.statements.open.all(limit).map((row) => ({
      id: row.id,
      customer: row.customer,
      amountCents: row.amount_cents,
    }));
  }

  async statusOf(id: number): Promise<InvoiceStatus | undefined> {
    return this.statusNow(id);
  }

  /** Cleans up after a run: closes the file (the driver removes its directory). */
  async discard(): Promise<void> {
    await this.close();
  }

  private statusNow(id: number): InvoiceStatus | undefined {
    return this.statements.status.get(id)?.status;
  }

  async counts(): Promise<LedgerCounts> {
    const counts = { due: 0, charging: 0, charged: 0 };
    for (const row of this.statements.counts.all()) counts[row.status] = row.n;
    return counts;
  }

  async invoices(): Promise<InvoiceRecord[]> {
    return this.statements.all.all().map((row) => ({
      id: Number(row.id),
      customer: row.customer,
      amountCents: Number(row.amount_cents),
      status: row.status,
      token: row.token,
      chargeId: row.charge_id,
      worker: row.worker,
    }));
  }

  async rejectedWrites(): Promise<RejectedWrite[]> {
    return this.statements.rejected.all().map((row) => ({ ...row, invoice: Number(row.invoice) }));
  }

  private fenceToken(): bigint {
    return this.statements.fence.get()?.token ?? 0n;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private fenced(id: number, op: string, token: bigint, worker: string, write: () => number): WriteOutcome {
    // IMMEDIATE takes the write lock first, so the fence cannot move between the raise,
    // the conditional write and the read that explains a refusal.
    return this.db
      .transaction((): WriteOutcome => {
        this.statements.raise.run({ token });
        if (write() === 1) return { kind: 'ok' };
        const fence = this.fenceToken();
        if (token < fence) return this.rejected(id, op, token, fence, worker);
        return { kind: 'conflict', status: this.statusNow(id) };
      })
      .immediate();
  }

  private naive(id: number, write: () => number): WriteOutcome {
    return write() === 1 ? { kind: 'ok' } : { kind: 'conflict', status: this.statusNow(id) };
  }

  private rejected(invoice: number, op: string, token: bigint, fence: bigint, worker: string): WriteOutcome {
    this.statements.reject.run({ invoice, op, token, fence, worker });
    return { kind: 'stale', fence };
  }
}
