import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ExitStatus, signalStatus } from './exit-status.js';
import { ParentDeathGuard } from './guardian.js';
import type { KillRule } from './kill-schedule.js';

/** How the command ended. `status` is what a shell would report: the code, or 128 + the signal. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly status: number;
}

/** The command could not be started: not found (127) or not executable (126). */
export class CommandStartError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(program: string, cause: NodeJS.ErrnoException) {
    const notFound = cause.code === 'ENOENT';
    super(`cannot ${notFound ? 'find' : 'execute'} "${program}": ${cause.message}`, { cause });
    this.name = 'CommandStartError';
    this.code = cause.code ?? 'UNKNOWN';
    this.status = notFound ? ExitStatus.notFound : ExitStatus.notExecutable;
  }
}

export interface ChildGroupHooks {
  /** Called when baton sends a signal to the group, before it is sent. */
  readonly onSignal?: (signal: NodeJS.Signals, rule: KillRule | 'forwarded' | 'lost') => void;
}

/**
 * The command, run in its own process group (a new session: `detached`) with stdio
 * inherited, so that one signal reaches everything it started. A parent-death guard
 * SIGKILLs the group if baton dies. When the command itself exits, whatever is left of its
 * group is SIGKILLed too: nothing started in a term outlives it.
 */
export class ChildGroup {
  readonly pid: number;
  readonly exited: Promise<ChildExit>;
  private readonly hooks: ChildGroupHooks;
  private killTimer: NodeJS.Timeout | undefined;
  private killAtMs = Number.POSITIVE_INFINITY;
  private finished = false;
  private signalled = false;

  private constructor(child: ChildProcess & { pid: number }, hooks: ChildGroupHooks) {
    this.pid = child.pid;
    this.hooks = hooks;
    const guard = ParentDeathGuard.arm(child.pid);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.finished = true;
        if (this.killTimer) clearTimeout(this.killTimer);
        this.signalGroup('SIGKILL');
        guard.disarm();
        resolve({ code, signal, status: code ?? signalStatus(signal ?? 'SIGKILL') });
      });
    });
  }

  /**
   * Starts `argv` with `env`; resolves once the process exists.
   * @throws CommandStartError when the program cannot be found or executed
   */
  static start(
    argv: readonly [string, ...string[]],
    env: NodeJS.ProcessEnv,
    hooks: ChildGroupHooks = {},
  ): Promise<ChildGroup> {
    const [program, ...args] = argv;
    const child = spawn(program, args, { stdio: 'inherit', detached: true, env });
    return new Promise((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => reject(new CommandStartError(program, error)));
      child.once('spawn', () => resolve(new ChildGroup(child as ChildProcess & { pid: number }, hooks)));
    });
  }

  /** Whether baton has sent the group a signal while the command ran. */
  get wasSignalled(): boolean {
    return this.signalled;
  }

  /** Sends `signal` to the whole group now (SIGTERM on a loss, or a signal baton received). */
  send(signal: NodeJS.Signals, why: 'forwarded' | 'lost'): void {
    if (this.finished) return;
    this.signalled = true;
    this.hooks.onSignal?.(signal, why);
    this.signalGroup(signal);
  }

  /** SIGKILLs the group at monotonic time `at` (ms), unless an earlier kill is already due. */
  killAt(at: number, rule: KillRule): void {
    if (this.finished || at >= this.killAtMs) return;
    this.killAtMs = at;
    if (this.killTimer) clearTimeout(this.killTimer);
    const fire = (): void => {
      this.killTimer = undefined;
      if (this.finished) return;
      this.signalled = true;
      this.hooks.onSignal?.('SIGKILL', rule);
      this.signalGroup('SIGKILL');
    };
    const wait = at - performance.now();
    if (wait <= 0) {
      fire();
      return;
    }
    this.killTimer = setTimeout(fire, Math.ceil(wait));
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch (error) {
      // ESRCH: the group is already empty.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
