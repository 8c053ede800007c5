import { redactUrl } from '@baton/core';
import { ChildReplica } from './child-replica.js';
import { EventLog, until } from './event-log.js';
import { type HostedLedger, hostLedger } from './host-ledger.js';
import type { Ledger, LedgerLocation } from './ledger.js';
import { LocalReplica } from './local-replica.js';
import { type PaymentProvider, startProvider } from './provider.js';
import type { Replica } from './replica.js';
import {
  countDuplicates,
  type DemoReport,
  type Failover,
  type FaultInjected,
  type LeaderSeen,
  type Rejection,
  type Replay,
} from './report.js';
import type { HoldPoint, WorkerEvent } from './worker.js';

export interface DemoOptions {
  /** `memory://NAME` runs the workers in this process; any other URL runs each in its own. */
  readonly backend: string;
  readonly workers: number;
  readonly invoices: number;
  readonly ttlMs: number;
  readonly fencing: boolean;
  readonly idempotency: boolean;
  /** Time per invoice besides the provider call. */
  readonly paceMs: number;
  readonly batchSize: number;
  /** Where progress lines go; nowhere when undefined. */
  readonly log?: (line: string) => void;
}

export const ELECTION = 'billing/charger';

export function defaultOptions(backend?: string): DemoOptions {
  const url = backend ?? `memory://billing-demo-${process.pid}`;
  const memory = url.startsWith('memory:');
  return {
    backend: url,
    workers: 3,
    invoices: 60,
    ttlMs: memory ? 1_000 : 2_000,
    fencing: true,
    idempotency: true,
    paceMs: memory ? 40 : 60,
    batchSize: 10,
  };
}

/**
 * Plays the story: start the workers, seed invoices, crash the leader mid-invoice (after the
 * provider took the money, before the ledger recorded it), let a new leader take over, then
 * freeze that leader mid-invoice (after its ledger claim, before the provider call), let a
 * third take over and finish the invoice, wake the frozen one up so that it carries on with
 * its stale leadership, and wait until every invoice is charged. Everything is closed at the
 * end, also on failure.
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  if (!Number.isInteger(options.workers) || options.workers < 3) {
    throw new Error('--workers must be at least 3: one to crash, one to freeze, one to take over');
  }
  if (!Number.isInteger(options.invoices) || options.invoices < 10) throw new Error('--invoices must be at least 10');
  if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) throw new Error('--ttl must be a positive number of ms');

  let hosted: HostedLedger | undefined;
  let provider: PaymentProvider | undefined;
  try {
    hosted = await hostLedger(options.backend, ELECTION, { fencing: options.fencing });
    provider = await startProvider();
  } catch (error) {
    await hosted?.close();
    throw error;
  }
  return play(options, hosted, provider);
}

async function play(options: DemoOptions, hosted: HostedLedger, provider: PaymentProvider): Promise<DemoReport> {
  const { ledger, location } = hosted;
  const log = options.log ?? (() => {});
  const inProcess = options.backend.startsWith('memory:');
  const started = performance.now();
  const since = (at: number): number => Math.round(at - started);
  const stamp = (): string => `[${((performance.now() - started) / 1000).toFixed(2).padStart(6)} s]`;
  const say = (line: string): void => log(`${stamp()} ${line}`);
  const events = new EventLog();
  const replicas: Replica[] = [];
  const leaders: LeaderSeen[] = [];
  const faults: FaultInjected[] = [];
  const failovers: Failover[] = [];
  const replays: Replay[] = [];
  const lateWrites: string[] = [];
  const notes: string[] = [];
  let current: { worker: string; token: string } | undefined;
  let complete = false;

  const onEvent = (event: WorkerEvent): void => {
    events.push(event);
    switch (event.type) {
      case 'elected':
        current = { worker: event.worker, token: event.token };
        leaders.push({ worker: event.worker, token: event.token, atMs: since(performance.now()) });
        say(`${event.worker} elected leader, fencing token ${event.token}`);
        break;
      case 'lost':
        if (current?.worker === event.worker && current.token === event.token) current = undefined;
        say(`${event.worker} lost leadership (token ${event.token}): ${event.reason}`);
        break;
      case 'charged':
        if (event.replayed) {
          replays.push({ worker: event.worker, token: event.token, invoice: event.invoice, chargeId: event.chargeId });
          say(
            `provider deduplicated ${event.worker}'s charge of invoice ${event.invoice} (replayed ${event.chargeId})`,
          );
        }
        break;
      case 'rejected':
        say(
          `ledger REJECTED ${event.worker}'s ${event.op} of invoice ${event.invoice}: token ${event.token} < fence ${event.fence}`,
        );
        break;
      case 'holding':
        say(`${event.worker} is ${event.point} of invoice ${event.invoice}`);
        break;
      case 'error':
        say(`${event.worker} error: ${event.message}`);
        break;
      default:
        break;
    }
  };

  // Failover is bounded by the store's worst case (2 x ttl + lock-delay for Consul) plus a
  // wide allowance for a busy machine; nothing here waits without a bound.
  const failoverBudgetMs = 4 * options.ttlMs + 30_000;
  const runBudgetMs = 60_000 + options.invoices * (options.paceMs + 50) * 3;

  try {
    say(
      `${options.invoices} invoices due; ${options.workers} workers on ${redactUrl(options.backend)} ` +
        `(${inProcess ? 'in this process' : 'one process each'}), ttl ${options.ttlMs} ms, ` +
        `fencing ${options.fencing ? 'on' : 'OFF'}, idempotency keys ${options.idempotency ? 'on' : 'OFF'}`,
    );
    say(`payment provider at ${provider.url}; ledger in ${hosted.where}`);
    const ids = Array.from({ length: options.workers }, (_, index) => `worker-${index + 1}`);
    // The first worker starts alone so that the story begins with a known leader.
    for (const [index, id] of ids.entries()) {
      const replica = await startReplica(id, options, location, provider.url, onEvent);
      replicas.push(replica);
      if (index === 0) await events.waitFor(0, isElected, failoverBudgetMs, 'a first leader');
    }
    // The invoices come due once every worker is up: on a busy machine the leader could
    // otherwise charge them all while the others are still starting, before any fault.
    await ledger.seed(options.invoices);

    const progress = startProgress(ledger, options.invoices, say);
    try {
      await until(
        async () => (await ledger.counts()).charged >= Math.ceil(options.invoices * 0.25),
        runBudgetMs,
        'a quarter charged',
      );
      await injectFault('crash', 'after-charge');
      await until(
        async () => (await ledger.counts()).charged >= Math.ceil(options.invoices * 0.55),
        runBudgetMs,
        'half charged',
      );
      await injectFault('freeze', 'after-claim');
      await until(
        async () => (await ledger.counts()).charged === options.invoices,
        runBudgetMs,
        'every invoice charged',
      );
      complete = true;
      say(`all ${options.invoices} invoices charged`);
    } finally {
      progress.stop();
    }
  } catch (error) {
    notes.push(error instanceof Error ? error.message : String(error));
    say(`demo failed: ${notes.at(-1)}`);
  } finally {
    say('stopping workers');
    await Promise.all(replicas.map((replica) => replica.stop().catch(() => undefined)));
    await provider.close();
  }

  const charges = provider.charges();
  const stats = provider.stats();
  const { duplicates, invoices: duplicateInvoices } = countDuplicates(charges);
  let rejections: Rejection[];
  let chargedInLedger: number;
  try {
    rejections = (await ledger.rejectedWrites()).map((r) => ({
      worker: r.worker,
      op: r.op,
      invoice: r.invoice,
      token: r.token.toString(),
      fence: r.fence.toString(),
    }));
    chargedInLedger = (await ledger.counts()).charged;
  } finally {
    await hosted.close();
  }

  return {
    backend: redactUrl(options.backend),
    mode: inProcess ? 'in-process' : 'processes',
    workers: options.workers,
    ttlMs: options.ttlMs,
    fencing: options.fencing,
    idempotency: options.idempotency,
    invoices: options.invoices,
    chargedInLedger,
    chargesAccepted: stats.accepted,
    duplicates,
    duplicateInvoices,
    staleWritesRejected: rejections.length,
    rejections,
    idempotentReplays: stats.deduplicated,
    replays,
    providerRequests: stats.requests,
    leaders,
    faults,
    failovers,
    lateWrites,
    complete,
    exactlyOnce: complete && duplicates === 0 && stats.accepted === options.invoices,
    durationMs: Math.round(performance.now() - started),
    notes,
  };

  /**
   * Holds the current leader at `point` of its next invoice, then crashes or freezes it
   * there, and times the failover. A frozen leader is woken once a successor has charged
   * the invoice it was holding, and we watch what its late writes come to.
   */
  async function injectFault(kind: 'crash' | 'freeze', point: HoldPoint): Promise<void> {
    const leader = current;
    const replica = replicas.find((r) => r.id === leader?.worker);
    if (!leader || !replica) throw new Error(`no leader to ${kind}`);
    const mark = events.mark;
    replica.holdAt(point);
    const held = await events.waitFor(
      mark,
      (e): e is Extract<WorkerEvent, { type: 'holding' }> => e.type === 'holding' && e.worker === leader.worker,
      20_000,
      `${leader.worker} to reach ${point}`,
    );
    const invoice = held.event.invoice;
    const how = inProcess
      ? `a simulated ${kind === 'crash' ? 'kill' : 'pause'} (task stopped, session dropped after the ttl)`
      : kind === 'crash'
        ? 'SIGKILL'
        : 'SIGSTOP';
    const faultAt = performance.now();
    if (kind === 'crash') await replica.crash();
    else await replica.freeze();
    faults.push({ kind, worker: leader.worker, token: held.event.token, invoice, point, atMs: since(faultAt), how });
    say(
      `${kind.toUpperCase()}: ${leader.worker} (token ${held.event.token}) ${point} of invoice ${invoice}, by ${how}`,
    );

    const next = await events.waitFor(
      mark,
      (e): e is Extract<WorkerEvent, { type: 'elected' }> => e.type === 'elected' && e.worker !== leader.worker,
      failoverBudgetMs,
      `a leader after the ${kind} of ${leader.worker}`,
    );
    const took = Math.round(next.at - faultAt);
    failovers.push({
      fault: kind,
      from: { worker: leader.worker, token: held.event.token },
      to: { worker: next.event.worker, token: next.event.token },
      ms: took,
    });
    say(`failover after the ${kind}: ${next.event.worker} took over in ${took} ms`);
    if (kind === 'crash') return;

    // Wake it only after its successor has charged the invoice it was holding, and after
    // more than a ttl: the worst moment, when a stale leader acts on a finished invoice.
    await until(
      async () => (await ledger.statusOf(invoice)) === 'charged' && performance.now() - faultAt > options.ttlMs * 1.5,
      runBudgetMs,
      `invoice ${invoice} charged by the new leader`,
    );
    const woke = events.mark;
    say(`THAW: ${leader.worker} resumes ${point} of invoice ${invoice}, still believing in token ${held.event.token}`);
    await replica.thaw();
    const late = await events.waitFor(
      woke,
      (e): e is Extract<WorkerEvent, { type: 'recorded' | 'rejected' | 'conflict' | 'error' }> =>
        e.worker === leader.worker &&
        (e.type === 'recorded' || e.type === 'rejected' || e.type === 'conflict' || e.type === 'error'),
      20_000,
      `the late write of ${leader.worker}`,
    );
    const outcome = describeLate(late.event);
    lateWrites.push(outcome);
    say(`${leader.worker} woke up: ${outcome}`);
  }
}

function isElected(event: WorkerEvent): event is Extract<WorkerEvent, { type: 'elected' }> {
  return event.type === 'elected';
}

function describeLate(event: WorkerEvent): string {
  switch (event.type) {
    case 'rejected':
      return `its ${event.op} of invoice ${event.invoice} with token ${event.token} was rejected (fence at ${event.fence})`;
    case 'recorded':
      return `its write of invoice ${event.invoice} with stale token ${event.token} was ACCEPTED by the ledger`;
    case 'conflict':
      return `its ${event.op} of invoice ${event.invoice} found the invoice ${event.status}`;
    case 'error':
      return `error: ${event.message}`;
    default:
      return event.type;
  }
}

async function startReplica(
  id: string,
  options: DemoOptions,
  ledger: LedgerLocation,
  providerUrl: string,
  emit: (event: WorkerEvent) => void,
): Promise<Replica> {
  const common = {
    id,
    ttlMs: options.ttlMs,
    election: ELECTION,
    ledger,
    providerUrl,
    fencing: options.fencing,
    idempotency: options.idempotency,
    paceMs: options.paceMs,
    batchSize: options.batchSize,
  };
  if (options.backend.startsWith('memory:')) {
    const storeName = new URL(options.backend).hostname;
    return LocalReplica.start({ ...common, storeName, emit });
  }
  // Generous: several Node processes compiling TypeScript at once on a small machine.
  return ChildReplica.start({ ...common, backendUrl: options.backend }, emit, 60_000);
}

/** A progress line each time another tenth of the invoices is charged. */
function startProgress(ledger: Ledger, total: number, say: (line: string) => void): { stop(): void } {
  const step = Math.max(1, Math.round(total / 10));
  let shown = 0;
  let reading = false;
  const timer = setInterval(() => {
    if (reading) return;
    reading = true;
    ledger
      .counts()
      .then(({ charged, charging, due }) => {
        if (charged >= shown + step || (charged === total && shown < total)) {
          shown = charged - (charged % step);
          if (charged === total) shown = total;
          say(`progress: ${charged}/${total} charged, ${charging} in flight, ${due} due`);
        }
      })
      .catch(() => undefined)
      .finally(() => {
        reading = false;
      });
  }, 100);
  return { stop: () => clearInterval(timer) };
}
