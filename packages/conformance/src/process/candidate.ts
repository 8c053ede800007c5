// A candidate in its own process, for the process-level cases (crash, pause, partition)
// and the soak. It campaigns, and while it leads it writes to the parent's fenced resource
// every few milliseconds, checking its leadership before each write, as a careful leader does.
// On stdin it takes commands: 'exit'; 'write-stale' (a write with its last token, marked as
// sent late); 'withdraw' (stop campaigning, resigning if it leads) and 'campaign' (start again),
// so that a parent can start a campaign at a moment of its choosing, e.g. while the store is frozen.
// It reports on stdout, one JSON line per event, with times on the machine's monotonic
// clock (process.hrtime), which all processes on one machine share.
import { createInterface } from 'node:readline';
import { connect, type DisconnectPolicy, type Leadership } from '@baton/core';

export interface CandidatePlan {
  readonly url: string;
  readonly ttlMs: number;
  readonly election: string;
  readonly id: string;
  readonly resourceUrl: string;
  readonly onDisconnect?: DisconnectPolicy;
  readonly writeEveryMs?: number;
  /** Record Baton's metrics with the OpenTelemetry SDK and print them (a `metrics` line) after each election and loss, and on the `metrics` command. */
  readonly metrics?: boolean;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as CandidatePlan;
const nowNs = (): bigint => process.hrtime.bigint();
const say = (event: Record<string, string | number | boolean | undefined>, at = nowNs()): void =>
  void process.stdout.write(`${JSON.stringify({ ...event, id: plan.id, at: String(at) })}\n`);

/** A leadership's deadline, moved from performance.now() onto the hrtime clock the parent compares. */
function deadlineNs(leadership: Leadership): string {
  return String(nowNs() + BigInt(Math.round((leadership.validUntil - performance.now()) * 1e6)));
}

async function write(token: bigint, stale: boolean): Promise<void> {
  try {
    const response = await fetch(
      `${plan.resourceUrl}?token=${token}&id=${encodeURIComponent(plan.id)}&stale=${stale}`,
      {
        method: 'POST',
        signal: AbortSignal.timeout(2_000),
      },
    );
    say({ event: 'wrote', token: String(token), accepted: response.status === 200, stale });
  } catch (error) {
    say({ event: 'write-failed', token: String(token), error: String(error) });
  }
}

// Baton's warnings go to stderr, which the suite shows when a case fails.
const toStderr =
  (level: string) =>
  (fields: object, message?: string): void => {
    const err = (fields as { err?: unknown }).err;
    const detail = err instanceof Error ? err.message : err === undefined ? '' : String(err);
    process.stderr.write(`${nowNs()} ${level} ${message ?? ''} ${detail}\n`);
  };
// The SDK is loaded only by a candidate that records metrics, to keep the others' start fast.
const recorder = plan.metrics ? new (await import('../metrics-recorder.js')).MetricsRecorder() : undefined;
const backend = await connect(plan.url, {
  ttlMs: plan.ttlMs,
  connectTimeoutMs: 5_000,
  onDisconnect: plan.onDisconnect ?? 'abort',
  logger: { debug: () => {}, info: () => {}, warn: toStderr('warn'), error: toStderr('error') },
  ...(recorder ? { meterProvider: recorder.provider } : {}),
});
const stop = new AbortController();
let lastToken: bigint | undefined;
/** Aborted by 'withdraw': ends the pending campaign. */
let campaignController = new AbortController();
/** Set while withdrawn; `resume` ends the wait ('campaign' or 'exit'). */
let withdrawn: { readonly resume: () => void; readonly resumed: Promise<void> } | undefined;

function withdraw(): void {
  if (withdrawn) return;
  let resume = (): void => {};
  const resumed = new Promise<void>((resolve) => {
    resume = resolve;
  });
  withdrawn = { resume, resumed };
  campaignController.abort();
}

/** Prints every metric data point now, as JSON, after `after` (the event that prompted it). */
async function sayMetrics(after: string): Promise<void> {
  if (!recorder) return;
  const points = await recorder.collect();
  say({ event: 'metrics', after, metrics: JSON.stringify(points) });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as { command: string };
  if (command.command === 'write-stale' && lastToken !== undefined) {
    // A write prepared while still leader and sent only now, as after a pause.
    void write(lastToken, true);
  } else if (command.command === 'exit') {
    stop.abort();
    withdrawn?.resume();
  } else if (command.command === 'withdraw') {
    withdraw();
  } else if (command.command === 'campaign' && withdrawn) {
    const { resume } = withdrawn;
    withdrawn = undefined;
    campaignController = new AbortController();
    resume();
  } else if (command.command === 'metrics') {
    void sayMetrics('asked');
  }
});

say({ event: 'ready' });
while (!stop.signal.aborted) {
  if (withdrawn) {
    say({ event: 'withdrawn' });
    await withdrawn.resumed;
    continue;
  }
  let leadership: Leadership;
  say({ event: 'campaigning' });
  try {
    leadership = await backend
      .election(plan.election)
      .campaign({ id: plan.id, signal: AbortSignal.any([stop.signal, campaignController.signal]) });
  } catch (error) {
    if (stop.signal.aborted) break;
    if (withdrawn) continue;
    say({ event: 'campaign-failed', error: String(error) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    continue;
  }
  lastToken = leadership.token;
  say({ event: 'elected', token: String(leadership.token), validUntil: deadlineNs(leadership) });
  // The loss is stamped when the signal aborts, before the adapter's release goes out (a
  // successor may be elected a round trip later), not when the write loop next looks.
  let lostAt: bigint | undefined;
  const term = leadership.signal;
  if (term.aborted) lostAt = nowNs();
  else term.addEventListener('abort', () => (lostAt = nowNs()), { once: true });
  await sayMetrics('elected');
  // Report each move of the local deadline at once, so that the parent knows until when
  // this process believed it led even if it is frozen a moment later.
  let reported = deadlineNs(leadership);
  const deadlineTicker = setInterval(() => {
    const current = deadlineNs(leadership);
    if (BigInt(current) - BigInt(reported) > 1_000_000n) {
      reported = current;
      say({ event: 'deadline', token: String(leadership.token), validUntil: current });
    }
  }, 5);
  while (leadership.isLeader && !stop.signal.aborted && !withdrawn) {
    say({ event: 'acting', token: String(leadership.token), validUntil: deadlineNs(leadership) });
    await write(leadership.token, false);
    await new Promise((resolve) => setTimeout(resolve, plan.writeEveryMs ?? 50));
  }
  clearInterval(deadlineTicker);
  if (stop.signal.aborted || withdrawn) await leadership.resign();
  const reason = await leadership.ended;
  say({ event: 'lost', token: String(leadership.token), reason }, lostAt ?? nowNs());
  await sayMetrics('lost');
}
await backend.close();
say({ event: 'exit' });
process.stdin.destroy();
