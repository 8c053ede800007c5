import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Backend, Election, EndReason, Leadership } from '@baton/core';
import type { RunOptions } from '../arguments.js';
import { campaign } from '../campaign.js';
import { type ChildExit, ChildGroup, CommandStartError } from '../child-group.js';
import { ExitStatus, signalStatus } from '../exit-status.js';
import { type KillRule, killPlan } from '../kill-schedule.js';
import type { Output } from '../output.js';
import { onStopSignals, type StopSignal } from '../stop-signals.js';
import { checkInput, displayUrl, openStore } from '../store.js';
import { SuccessorWatch } from '../successor-watch.js';
import { describeError, storeLogger } from './common.js';

/** How one term ended. */
type TermOutcome =
  /** The command exited without baton signalling it: its work is done. */
  | { readonly kind: 'finished'; readonly exit: ChildExit }
  /** baton was asked to stop; the command got the signal and has exited. */
  | { readonly kind: 'stopped'; readonly exit: ChildExit }
  /** Leadership ended; the command was terminated. */
  | { readonly kind: 'lost'; readonly reason: EndReason; readonly exit: ChildExit };

/** The default candidate id: readable in `baton leader`, unique per process. */
export function defaultCandidateId(): string {
  return `${os.hostname()}:${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * `baton run`: campaigns, runs the command while leading, stops it on a loss before the
 * store could let a successor in, and campaigns again (or exits, with `--once`). Resolves
 * with the exit status.
 */
export async function runCommand(options: RunOptions, output: Output): Promise<number> {
  if (process.platform === 'win32') {
    output.error({ code: 'ERR_UNSUPPORTED', message: 'baton run needs POSIX process groups (Linux, macOS)' });
    return ExitStatus.unsupported;
  }
  const id = options.id ?? defaultCandidateId();
  await checkInput(options.election, { id, ...(options.value === undefined ? {} : { value: options.value }) });
  const backend = await openStore(options.url, {
    ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
    logger: storeLogger(output, options.verbose),
  });
  const supervisor = new Supervisor(options, output, backend, id);
  try {
    return await supervisor.run();
  } finally {
    supervisor.dispose();
    await closeWithin(backend, 5_000);
  }
}

/** One `baton run`: the campaign loop, one term at a time, and the stop signals. */
class Supervisor {
  private readonly election: Election;
  /** Aborted by the first stop signal that arrives while no command runs. */
  private readonly stop = new AbortController();
  private stopSignal: StopSignal | undefined;
  private child: ChildGroup | undefined;
  private readonly removeSignalHandlers: () => void;

  constructor(
    private readonly options: RunOptions,
    private readonly output: Output,
    private readonly backend: Backend,
    private readonly id: string,
  ) {
    this.election = backend.election(options.election);
    this.removeSignalHandlers = onStopSignals((signal) => this.onStopSignal(signal));
    const url = displayUrl(options.url);
    output.status(
      'connected',
      { backend: backend.kind, url, ttlMs: backend.ttlMs },
      `connected to ${url} (${backend.kind}, ttl ${backend.ttlMs} ms in force)`,
    );
    if (options.ttlMs !== undefined && options.ttlMs !== backend.ttlMs) {
      output.status(
        'ttl-raised',
        { askedMs: options.ttlMs, ttlMs: backend.ttlMs },
        `the store grants a ttl of ${backend.ttlMs} ms, not the ${options.ttlMs} ms asked`,
      );
    }
  }

  async run(): Promise<number> {
    for (;;) {
      const { election } = this.options;
      this.output.status('campaigning', { election, id: this.id }, `campaigning for "${election}" as ${this.id}`);
      const result = await campaign({
        election: this.election,
        id: this.id,
        value: this.options.value,
        stop: this.stop.signal,
        noWait: this.options.noWait,
        onRetry: (error, delayMs) => {
          const { code, message } = describeError(error);
          this.output.status(
            'campaign-failed',
            { code, message, retryInMs: Math.round(delayMs) },
            `campaign failed (${code}: ${message}); retrying in ${Math.round(delayMs)} ms`,
          );
        },
      });
      if (result.kind === 'stopped') return this.stoppedBeforeCommand();
      if (result.kind === 'other-leader') {
        const { leader } = result;
        this.output.status(
          'other-leader',
          { id: leader.id, token: leader.token },
          `${leader.id} leads (token ${leader.token}); not starting the command (--no-wait)`,
        );
        return ExitStatus.otherLeader;
      }
      const outcome = await this.term(result.leadership);
      if (outcome === undefined) return this.stoppedBeforeCommand();
      if (typeof outcome === 'number') return outcome;
      if (outcome.kind !== 'lost') return outcome.exit.status;
      if (this.stopSignal !== undefined) return outcome.exit.status;
      if (this.options.once) return ExitStatus.lost;
    }
  }

  dispose(): void {
    this.removeSignalHandlers();
  }

  /**
   * One term: start the command, wait for it to exit or for the leadership to end. Returns
   * the outcome, a status when the command could not start, or undefined when a stop
   * signal arrived just as the campaign won.
   */
  private async term(leadership: Leadership): Promise<TermOutcome | number | undefined> {
    const { election } = this.options;
    this.output.status(
      'elected',
      { election, id: leadership.id, token: leadership.token },
      `elected leader of "${election}", token ${leadership.token}`,
    );
    if (this.stop.signal.aborted) {
      await this.release(leadership);
      return undefined;
    }
    // The command first: every millisecond here is one the successor's command waits.
    let child: ChildGroup;
    try {
      child = await ChildGroup.start(this.options.argv, this.childEnv(leadership), {
        onSignal: (signal, why) => this.reportSignal(signal, why),
      });
    } catch (error) {
      if (!(error instanceof CommandStartError)) throw error;
      this.output.error({ code: error.code, message: error.message });
      await this.release(leadership);
      return error.status;
    }
    const successor = new SuccessorWatch(this.election, leadership.token);
    try {
      this.child = child;
      this.output.status(
        'child-started',
        { pid: child.pid, command: this.options.argv.join(' ') },
        `started ${this.options.argv[0]} (pid ${child.pid}, its own process group)`,
      );
      // A stop signal that arrived while the command was being started is forwarded now.
      if (this.stopSignal !== undefined) this.forward(this.stopSignal);
      const first = await Promise.race([child.exited, leadership.ended.then((reason) => ({ reason }))]);
      if (!('reason' in first)) {
        this.reportExit(first);
        this.child = undefined;
        await this.release(leadership);
        return { kind: child.wasSignalled ? 'stopped' : 'finished', exit: first };
      }
      this.onLoss(child, leadership, first.reason, successor);
      const exit = await child.exited;
      this.reportExit(exit);
      this.child = undefined;
      return { kind: 'lost', reason: first.reason, exit };
    } finally {
      successor.stop();
      this.child = undefined;
    }
  }

  /** SIGTERM now; SIGKILL by the kill plan, or at once when the store shows a successor is possible. */
  private onLoss(child: ChildGroup, leadership: Leadership, reason: EndReason, successor: SuccessorWatch): void {
    const at = performance.now();
    const plan = killPlan({ reason, at, validUntil: leadership.validUntil }, this.options.killAfterMs);
    const killInMs = Math.max(0, Math.round(plan.at - at));
    this.output.status(
      'lost',
      { reason, token: leadership.token, killInMs, killRule: plan.rule },
      `leadership lost (${reason}); stopping the command, SIGKILL in ${killInMs} ms at the latest (${plan.rule})`,
    );
    child.send('SIGTERM', 'lost');
    child.killAt(plan.at, plan.rule);
    successor.afterLoss(() => child.killAt(performance.now(), 'successor-possible'));
  }

  private onStopSignal(signal: StopSignal): void {
    if (this.stopSignal !== undefined) {
      // A second request: stop waiting for the command.
      this.child?.killAt(performance.now(), 'second-signal');
      this.stop.abort();
      return;
    }
    this.stopSignal = signal;
    this.output.status('stopping', { signal }, `received ${signal}`);
    if (this.child) this.forward(signal);
    else this.stop.abort();
  }

  /** Passes a stop signal on to the command and bounds its shutdown by --kill-after. */
  private forward(signal: StopSignal): void {
    const child = this.child;
    if (!child) return;
    child.send(signal, 'forwarded');
    child.killAt(performance.now() + this.options.killAfterMs, 'kill-after');
  }

  private async release(leadership: Leadership): Promise<void> {
    if (!leadership.isLeader) return;
    await leadership.resign();
    this.output.status('released', { token: leadership.token }, `released leadership (token ${leadership.token})`);
  }

  private stoppedBeforeCommand(): number {
    return signalStatus(this.stopSignal ?? 'SIGTERM');
  }

  private childEnv(leadership: Leadership): NodeJS.ProcessEnv {
    return {
      ...process.env,
      BATON_ELECTION: this.options.election,
      BATON_TOKEN: leadership.token.toString(),
      BATON_LEADER_ID: leadership.id,
      BATON_TTL_MS: String(this.backend.ttlMs),
    };
  }

  private reportSignal(signal: NodeJS.Signals, why: KillRule | 'forwarded' | 'lost'): void {
    this.output.status('signal', { signal, why }, `sent ${signal} to the command's process group (${why})`);
  }

  private reportExit(exit: ChildExit): void {
    const how = exit.signal === null ? `status ${exit.code}` : `signal ${exit.signal}`;
    this.output.status(
      'child-exited',
      { code: exit.code, signal: exit.signal, status: exit.status },
      `the command exited (${how})`,
    );
  }
}

async function closeWithin(backend: Backend, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    backend.close().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
