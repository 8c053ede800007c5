import type { AcceptedCharge } from './provider.js';

export interface LeaderSeen {
  readonly worker: string;
  readonly token: string;
  /** Since the start of the run. */
  readonly atMs: number;
}

export interface FaultInjected {
  readonly kind: 'crash' | 'freeze';
  readonly worker: string;
  readonly token: string;
  /** The invoice the leader was in the middle of, and where. */
  readonly invoice: number;
  readonly point: string;
  readonly atMs: number;
  /** How the process was hit: SIGKILL / SIGSTOP, or the in-process stand-in. */
  readonly how: string;
}

export interface Failover {
  readonly fault: 'crash' | 'freeze';
  readonly from: { readonly worker: string; readonly token: string };
  readonly to: { readonly worker: string; readonly token: string };
  /** From the fault to the next leader's election. */
  readonly ms: number;
}

export interface Replay {
  readonly worker: string;
  readonly token: string;
  readonly invoice: number;
  readonly chargeId: string;
}

export interface Rejection {
  readonly worker: string;
  readonly op: string;
  readonly invoice: number;
  readonly token: string;
  readonly fence: string;
}

export interface DemoReport {
  readonly backend: string;
  readonly mode: 'in-process' | 'processes';
  readonly workers: number;
  readonly ttlMs: number;
  readonly fencing: boolean;
  readonly idempotency: boolean;
  readonly invoices: number;
  readonly chargedInLedger: number;
  readonly chargesAccepted: number;
  /** Charges accepted beyond the first for the same invoice: money taken twice. */
  readonly duplicates: number;
  readonly duplicateInvoices: readonly number[];
  readonly staleWritesRejected: number;
  readonly rejections: readonly Rejection[];
  readonly idempotentReplays: number;
  readonly replays: readonly Replay[];
  readonly providerRequests: number;
  readonly leaders: readonly LeaderSeen[];
  readonly faults: readonly FaultInjected[];
  readonly failovers: readonly Failover[];
  /** What the frozen leader's late write came to when it woke up. */
  readonly lateWrites: readonly string[];
  readonly complete: boolean;
  readonly exactlyOnce: boolean;
  readonly durationMs: number;
  readonly notes: readonly string[];
}

/** Charges beyond the first per invoice, and the invoices that had them. */
export function countDuplicates(charges: readonly AcceptedCharge[]): { duplicates: number; invoices: number[] } {
  const perInvoice = new Map<number, number>();
  for (const charge of charges) perInvoice.set(charge.invoice, (perInvoice.get(charge.invoice) ?? 0) + 1);
  let duplicates = 0;
  const invoices: number[] = [];
  for (const [invoice, count] of perInvoice) {
    if (count > 1) {
      duplicates += count - 1;
      invoices.push(invoice);
    }
  }
  return { duplicates, invoices: invoices.sort((a, b) => a - b) };
}

const onOff = (on: boolean): string => (on ? 'on' : 'OFF');

export function formatReport(report: DemoReport): string {
  const row = (label: string, value: number | string): string => `  ${label.padEnd(48)}${String(value).padStart(6)}`;
  const lines = [
    '',
    `Billing demo report: ${report.backend} (${report.mode}), ${report.workers} workers, ttl ${report.ttlMs} ms`,
    `  fencing ${onOff(report.fencing)}, idempotency keys ${onOff(report.idempotency)}, ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
    row('invoices', report.invoices),
    row('invoices charged in the ledger', report.chargedInLedger),
    row('charges accepted by the provider', report.chargesAccepted),
    row('duplicates (same invoice charged twice)', report.duplicates),
    row('stale writes rejected by fencing', report.staleWritesRejected),
    row('idempotent replays deduplicated by the provider', report.idempotentReplays),
    '',
    '  leaders seen, in order:',
    ...report.leaders.map(
      (leader) => `    ${leader.worker.padEnd(10)} token ${leader.token.padEnd(20)} at ${ms(leader.atMs)}`,
    ),
    '',
    '  faults and failovers:',
    ...report.faults.map((fault, index) => {
      const failover = report.failovers[index];
      const took = failover
        ? `-> ${failover.to.worker} (token ${failover.to.token}) elected after ${failover.ms} ms`
        : '-> no new leader seen';
      return `    ${fault.kind.padEnd(6)} ${fault.worker} (token ${fault.token}) ${fault.point} of invoice ${fault.invoice}, by ${fault.how}, ${took}`;
    }),
    '',
    '  what each layer caught:',
    `    fencing (ledger):       ${
      report.fencing
        ? report.rejections.length === 0
          ? 'nothing to catch'
          : report.rejections
              .map((r) => `${r.worker}'s ${r.op} of invoice ${r.invoice} with token ${r.token} (fence at ${r.fence})`)
              .join('; ')
        : 'off'
    }`,
    `    idempotency (provider): ${
      report.idempotency
        ? report.replays.length === 0
          ? 'nothing to catch'
          : report.replays
              .map((r) => `${r.worker}'s charge of invoice ${r.invoice} replayed as ${r.chargeId}`)
              .join('; ')
        : 'off'
    }`,
    ...report.lateWrites.map((late) => `    frozen leader on waking: ${late}`),
    ...(report.notes.length > 0 ? ['', '  notes:', ...report.notes.map((note) => `    ${note}`)] : []),
    '',
    `  verdict: ${verdict(report)}`,
    '',
  ];
  return lines.join('\n');
}

function verdict(report: DemoReport): string {
  if (!report.complete) return `INCOMPLETE: ${report.chargedInLedger} of ${report.invoices} invoices charged in time`;
  if (report.exactlyOnce)
    return `exactly once: ${report.invoices} invoices, ${report.chargesAccepted} charges, 0 duplicates`;
  return `DOUBLE CHARGES: ${report.duplicates} duplicate charge(s), invoices ${report.duplicateInvoices.join(', ')}`;
}

function ms(value: number): string {
  return `${(value / 1000).toFixed(2)} s`;
}
