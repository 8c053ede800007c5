import { isBatonError } from '@baton/core';
import { fencedTransaction } from '@baton/postgres';
import pg from 'pg';
import type {
  Invoice,
  InvoiceRecord,
  InvoiceStatus,
  Ledger,
  LedgerCounts,
  LedgerLocation,
  LedgerOptions,
  RejectedWrite,
  WriteOutcome,
} from './ledger.js';

type PostgresLocation = Extract<LedgerLocation, { kind: 'postgres' }>;

/** pg's settings for a Baton URL: Baton's own parameters are not pg's. */
function poolConfig(url: string): { config: pg.PoolConfig; batonSchema: string } {
  const parsed = new URL(url);
  const batonSchema = parsed.searchParams.get('schema') ?? 'baton';
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('createSchema');
  return { config: { connectionString: parsed.toString(), max: 4 }, batonSchema };
}

/**
 * The invoices in tables of the same PostgreSQL database as the election. Every write a leader
 * makes is one transaction that first calls Baton's `assert_leader(election, token)`
 * (`fencedTransaction` of @baton/postgres): it commits only while the token leads, and no
 * successor can take over between that check and the commit. No fence table: the election's
 * own rows are the fence. A refused write is recorded with the highest token that has written
 * the books.
 */
export class PostgresLedger implements Ledger {
  readonly where: string;
  readonly fencing: boolean;
  private readonly pool: pg.Pool;
  private readonly s: string;
  private readonly fence: { election: string; schema: string };

  private constructor(location: PostgresLocation, options: LedgerOptions) {
    const { config, batonSchema } = poolConfig(location.url);
    this.pool = new pg.Pool(config);
    this.pool.on('error', () => {});
    this.s = `"${location.schema}"`;
    this.fence = { election: location.election, schema: batonSchema };
    this.fencing = options.fencing;
    this.where = `schema ${location.schema} of the coordination database`;
  }

  static async open(location: PostgresLocation, options: LedgerOptions): Promise<PostgresLedger> {
    if (!/^[a-z_][a-z0-9_]*$/.test(location.schema)) throw new Error(`bad ledger schema name ${location.schema}`);
    return new PostgresLedger(location, options);
  }

  async seed(count: number): Promise<void> {
    const { s } = this;
    await this.pool.query(`
      CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${s}.invoices (
        id           integer PRIMARY KEY,
        customer     text    NOT NULL,
        amount_cents integer NOT NULL,
        status       text    NOT NULL DEFAULT 'due' CHECK (status IN ('due', 'charging', 'charged')),
        token        bigint,
        charge_id    text,
        worker       text);
      CREATE TABLE IF NOT EXISTS ${s}.rejected_writes (
        seq     bigserial PRIMARY KEY,
        invoice integer NOT NULL,
        op      text    NOT NULL,
        token   bigint  NOT NULL,
        fence   bigint  NOT NULL,
        worker  text    NOT NULL);`);
    await this.pool.query(
      `INSERT INTO ${s}.invoices (id, customer, amount_cents)
       SELECT id, 'cus_' || lpad(id::text, 4, '0'), 500 + ((id * 37) % 50) * 100 FROM generate_series(1, $1::integer) AS id`,
      [count],
    );
  }

  async enterTerm(token: bigint, worker: string): Promise<WriteOutcome> {
    if (!this.fencing) return { kind: 'ok' };
    return this.fenced(0, 'enter-term', token, worker, async () => 1);
  }

  async claim(id: number, token: bigint, worker: string): Promise<WriteOutcome> {
    const sql = `UPDATE ${this.s}.invoices SET status = 'charging', token = $2, worker = $3
                  WHERE id = $1 AND status IN ('due', 'charging')`;
    const params = [id, token.toString(), worker];
    if (!this.fencing) return this.naive(id, sql, params);
    return this.fenced(id, 'claim', token, worker, async (tx) => (await tx.query(sql, params)).rowCount ?? 0);
  }

  async markCharged(id: number, token: bigint, worker: string, chargeId: string): Promise<WriteOutcome> {
    if (!this.fencing) {
      const sql = `UPDATE ${this.s}.invoices SET status = 'charged', charge_id = $3, worker = $2 WHERE id = $1`;
      return this.naive(id, sql, [id, worker, chargeId]);
    }
    const sql = `UPDATE ${this.s}.invoices SET status = 'charged', charge_id = $4, worker = $3
                  WHERE id = $1 AND status = 'charging' AND token = $2`;
    const params = [id, token.toString(), worker, chargeId];
    return this.fenced(id, 'mark-charged', token, worker, async (tx) => (await tx.query(sql, params)).rowCount ?? 0);
  }

  async open(limit: number): Promise<Invoice[]> {
    const { rows } = await this.pool.query<{ id: number; customer: string; amount_cents: number }>(
      `SELECT id, customer, amount_cents FROM ${this.s}.invoices WHERE status IN ('due', 'charging') ORDER BY id LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({ id: row.id, customer: row.customer, amountCents: row.amount_cents }));
  }

  async statusOf(id: number): Promise<InvoiceStatus | undefined> {
    const { rows } = await this.pool.query<{ status: InvoiceStatus }>(
      `SELECT status FROM ${this.s}.invoices WHERE id = $1`,
      [id],
    );
    return rows[0]?.status;
  }

  async counts(): Promise<LedgerCounts> {
    const counts = { due: 0, charging: 0, charged: 0 };
    const { rows } = await this.pool.query<{ status: InvoiceStatus; n: number }>(
      `SELECT status, count(*)::integer AS n FROM ${this.s}.invoices GROUP BY status`,
    );
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  async invoices(): Promise<InvoiceRecord[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.s}.invoices ORDER BY id`);
    return rows.map((row) => ({
      id: row.id,
      customer: row.customer,
      amountCents: row.amount_cents,
      status: row.status,
      token: row.token === null ? null : BigInt(row.token),
      chargeId: row.charge_id,
      worker: row.worker,
    }));
  }

  async rejectedWrites(): Promise<RejectedWrite[]> {
    const { rows } = await this.pool.query(
      `SELECT invoice, op, token, fence, worker FROM ${this.s}.rejected_writes ORDER BY seq`,
    );
    return rows.map((row) => ({ ...row, token: BigInt(row.token), fence: BigInt(row.fence) }));
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  async discard(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.s} CASCADE`).catch(() => undefined);
    await this.close();
  }

  /** One transaction that commits only while `token` leads; a refusal is recorded and reported as stale. */
  private async fenced(
    id: number,
    op: string,
    token: bigint,
    worker: string,
    write: (tx: pg.ClientBase) => Promise<number>,
  ): Promise<WriteOutcome> {
    try {
      const changed = await fencedTransaction(this.pool, { ...this.fence, token }, write);
      if (changed === 1) return { kind: 'ok' };
      return { kind: 'conflict', status: await this.statusOf(id) };
    } catch (error) {
      if (!isBatonError(error, 'ERR_LEADERSHIP_LOST')) throw error;
      const { rows } = await this.pool.query<{ fence: string }>(
        `SELECT coalesce(max(token), 0)::bigint AS fence FROM ${this.s}.invoices`,
      );
      const fence = BigInt(rows[0]?.fence ?? 0);
      await this.pool.query(
        `INSERT INTO ${this.s}.rejected_writes (invoice, op, token, fence, worker) VALUES ($1, $2, $3, $4, $5)`,
        [id, op, token.toString(), fence.toString(), worker],
      );
      return { kind: 'stale', fence };
    }
  }

  private async naive(id: number, sql: string, params: unknown[]): Promise<WriteOutcome> {
    const { rowCount } = await this.pool.query(sql, params);
    return rowCount === 1 ? { kind: 'ok' } : { kind: 'conflict', status: await this.statusOf(id) };
  }
}
