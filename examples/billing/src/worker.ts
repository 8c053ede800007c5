import { setTimeout as delay } from 'node:timers/promises';
import { type Election, type Leadership, runAsLeader } from '@baton/core';
import type { Invoice, Ledger, WriteOutcome } from './ledger.js';
import { requestCharge } from './provider.js';

/** Where a worker can be held mid-invoice, so that a fault lands at a chosen step. */
export type HoldPoint = 'after-claim' | 'after-charge';

/** What a worker reports, in process or as a JSON line from a child. Tokens are decimal strings. */
export type WorkerEvent =
  | { readonly type: 'elected'; readonly worker: string; readonly token: string }
  | { readonly type: 'lost'; readonly worker: string; readonly token: string; readonly reason: string }
  | { readonly type: 'claimed'; readonly worker: string; readonly token: string; readonly invoice: number }
  | {
      readonly type: 'charged';
      readonly worker: string;
      readonly token: string;
      readonly invoice: number;
      readonly chargeId: string;
      readonly replayed: boolean;
    }
  | {
      readonly type: 'recorded';
      readonly worker: string;
      readonly token: string;
      readonly invoice: number;
      readonly chargeId: string;
    }
  | {
      readonly type: 'rejected';
      readonly worker: string;
      readonly token: string;
      readonly invoice: number;
      readonly op: string;
      readonly fence: string;
    }
  | {
      readonly type: 'conflict';
      readonly worker: string;
      readonly token: string;
      readonly invoice: number;
      readonly op: string;
      readonly status: string;
    }
  | {
      readonly type: 'holding';
      readonly worker: string;
      readonly token: string;
      readonly invoice: number;
      readonly point: HoldPoint;
    }
  | { readonly type: 'error'; readonly worker: string; readonly message: string };

/**
 * Called at each hold point. A replica that was told to hold there answers when released:
 * 'continue' to carry on exactly where it stopped (a process resumed after a pause), 'halt'
 * to do nothing more (a process that never comes back).
 */
export type HoldHook = (point: HoldPoint, invoice: number, token: bigint) => Promise<'continue' | 'halt'> | undefined;

export interface WorkerOptions {
  readonly id: string;
  readonly election: Election;
  readonly ledger: Ledger;
  readonly providerUrl: string;
  /** Off for the negative control: charges then go out without an idempotency key. */
  readonly idempotency: boolean;
  readonly emit: (event: WorkerEvent) => void;
  readonly hold?: HoldHook;
  readonly batchSize?: number;
  /** Time spent per invoice besides the provider call, so that a run lasts long enough to watch. */
  readonly paceMs?: number;
  readonly idlePollMs?: number;
}

type InvoiceOutcome = 'done' | 'skipped' | 'stale' | 'halt' | 'failed';

/**
 * A billing replica: campaigns, and while leader charges open invoices, until `signal`
 * aborts. Per invoice, in this order:
 *
 *   1. fenced ledger claim: status 'charging', with the leadership token;
 *   2. provider charge with the idempotency key `invoice-<id>`;
 *   3. fenced ledger update: status 'charged', with the provider's charge id.
 *
 * The fence refuses 1 and 3 from an ex-leader once a newer one has written. Nothing can
 * fence 2, since the provider does not know tokens: a leader paused between 1 and 2 wakes
 * up and charges. The idempotency key makes that late charge a replay of the new leader's.
 */
export function runWorker(options: WorkerOptions, signal: AbortSignal): Promise<void> {
  return runAsLeader(options.election, (leadership) => leaderTask(options, leadership), {
    signal,
    id: options.id,
    onLost: (reason, leadership) =>
      options.emit({ type: 'lost', worker: options.id, token: leadership.token.toString(), reason }),
  });
}

async function leaderTask(options: WorkerOptions, leadership: Leadership): Promise<void> {
  const { id, ledger, emit } = options;
  const token = leadership.token;
  emit({ type: 'elected', worker: id, token: token.toString() });
  const entered = await ledger.enterTerm(token, id);
  if (entered.kind === 'stale') {
    report(options, token, 0, 'enter-term', entered);
    await leadership.resign();
    return;
  }
  const batchSize = options.batchSize ?? 10;
  const paceMs = options.paceMs ?? 0;
  while (!leadership.signal.aborted) {
    let batch: Invoice[];
    try {
      batch = await ledger.open(batchSize);
    } catch (error) {
      emit({ type: 'error', worker: id, message: describe(error) });
      await pause(200, leadership.signal);
      continue;
    }
    if (batch.length === 0) {
      // Nothing due: stay leader and look again, as a real biller waits for the next cycle.
      await pause(options.idlePollMs ?? 100, leadership.signal);
      continue;
    }
    for (const invoice of batch) {
      // The check a careful worker makes before each invoice. A pause can still land just
      // after it; the fence and the idempotency key are there for exactly that.
      if (leadership.signal.aborted) break;
      const outcome = await chargeInvoice(options, token, invoice);
      if (outcome === 'halt') return;
      if (outcome === 'stale') {
        // A newer leader has written: whatever our lease says, we are not the leader.
        await leadership.resign();
        return;
      }
      if (outcome === 'failed') {
        await pause(200, leadership.signal);
        break;
      }
      if (paceMs > 0) await pause(paceMs, leadership.signal);
    }
  }
}

async function chargeInvoice(options: WorkerOptions, token: bigint, invoice: Invoice): Promise<InvoiceOutcome> {
  const { id: worker, ledger, emit } = options;
  const tokenText = token.toString();
  try {
    const claim = await ledger.claim(invoice.id, token, worker);
    if (claim.kind !== 'ok') return report(options, token, invoice.id, 'claim', claim);
    emit({ type: 'claimed', worker, token: tokenText, invoice: invoice.id });
    if ((await options.hold?.('after-claim', invoice.id, token)) === 'halt') return 'halt';

    const key = options.idempotency ? `invoice-${invoice.id}` : undefined;
    const charge = await requestCharge(
      options.providerUrl,
      { invoice: invoice.id, customer: invoice.customer, amountCents: invoice.amountCents },
      key,
      worker,
    );
    emit({
      type: 'charged',
      worker,
      token: tokenText,
      invoice: invoice.id,
      chargeId: charge.id,
      replayed: charge.replayed,
    });
    if ((await options.hold?.('after-charge', invoice.id, token)) === 'halt') return 'halt';

    const recorded = await ledger.markCharged(invoice.id, token, worker, charge.id);
    if (recorded.kind !== 'ok') return report(options, token, invoice.id, 'mark-charged', recorded);
    emit({ type: 'recorded', worker, token: tokenText, invoice: invoice.id, chargeId: charge.id });
    return 'done';
  } catch (error) {
    // The invoice stays 'charging' under our token; the next pass (ours or a successor's)
    // retries it with the same idempotency key.
    emit({ type: 'error', worker, message: `invoice ${invoice.id}: ${describe(error)}` });
    return 'failed';
  }
}

function report(
  options: WorkerOptions,
  token: bigint,
  invoice: number,
  op: string,
  outcome: Exclude<WriteOutcome, { kind: 'ok' }>,
): InvoiceOutcome {
  const base = { worker: options.id, token: token.toString(), invoice, op };
  if (outcome.kind === 'stale') {
    options.emit({ type: 'rejected', ...base, fence: outcome.fence.toString() });
    return 'stale';
  }
  options.emit({ type: 'conflict', ...base, status: outcome.status ?? 'missing' });
  return 'skipped';
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
