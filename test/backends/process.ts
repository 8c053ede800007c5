import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertProcfs, childrenOf, signalPid, waitGone, waitStopped } from './process-tree.js';
import { trackPid, untrackPid } from './reaper.js';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function describeExit(exit: ExitInfo): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/**
 * One server process started by this harness, signalled only through its own pid, or for a
 * server that forks per connection (`tree`), through its pid and the pids of its children.
 */
export class ServerProcess {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private exit: ExitInfo | undefined;
  /** Children stopped by pause(), continued by resume(). */
  private pausedChildren: number[] = [];

  constructor(
    child: ChildProcess,
    pid: number,
    private readonly tree = false,
  ) {
    this.pid = pid;
    trackPid(pid);
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        untrackPid(pid);
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  get exitDescription(): string {
    return this.exit ? describeExit(this.exit) : 'still running';
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // It exited between the check and the signal; 'exit' will settle `exited`.
    }
  }

  /**
   * `signal` (SIGTERM unless the server shuts down cleanly on another), then SIGKILL if it has
   * not exited after `graceMs`; resolves once it has exited.
   */
  async terminate(graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    if (!this.running) return this.exited;
    this.signal(signal);
    // A stopped process only acts on the signal once it runs again.
    this.continueChildren();
    this.signal('SIGCONT');
    const cancel = new AbortController();
    const timer = sleep(graceMs, 'timeout' as const, { signal: cancel.signal }).catch(() => 'cancelled' as const);
    const first = await Promise.race([this.exited, timer]);
    cancel.abort();
    if (first === 'timeout') return this.killNow();
    return this.exited;
  }

  /** SIGKILL, to the children too for a tree, as a crash of the whole server would. */
  async killNow(): Promise<ExitInfo> {
    if (!this.tree || !this.running) {
      this.signal('SIGKILL');
      return this.exited;
    }
    // Stopped first, the parent cannot fork a child that the listing would miss.
    this.signal('SIGSTOP');
    await waitStopped([this.pid]).catch(() => undefined);
    const children = childrenOf(this.pid);
    for (const child of children) signalPid(child, 'SIGKILL');
    this.signal('SIGKILL');
    this.forgetPausedChildren();
    const exit = await this.exited;
    // A restart must not meet children still holding the old server's shared memory.
    const left = await waitGone(children);
    if (left.length > 0) throw new Error(`children ${left.join(', ')} of server ${this.pid} survived SIGKILL`);
    return exit;
  }

  /** SIGSTOP: the server, and for a tree every child, keeps its sockets open and answers nothing. */
  async pause(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGSTOP');
    if (!this.tree) return;
    assertProcfs('pause()');
    await waitStopped([this.pid]);
    const children = childrenOf(this.pid);
    for (const child of children) {
      // Stopped children would never end if this process died now; the reaper kills them then.
      trackPid(child);
      this.pausedChildren.push(child);
      signalPid(child, 'SIGSTOP');
    }
    await waitStopped(children);
  }

  /** SIGCONT, to the children stopped by pause() first. */
  async resume(): Promise<void> {
    this.continueChildren();
    this.signal('SIGCONT');
  }

  private continueChildren(): void {
    for (const child of this.pausedChildren) signalPid(child, 'SIGCONT');
    this.forgetPausedChildren();
  }

  private forgetPausedChildren(): void {
    for (const child of this.pausedChildren) untrackPid(child);
    this.pausedChildren = [];
  }
}

export interface SpawnOptions {
  readonly cwd: string;
  /** stdout and stderr are appended here, so the history of every restart stays in one file. */
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this user and group (a server that refuses to run as root, started by root). */
  readonly uid?: number;
  readonly gid?: number;
  /** The server forks a process per connection: pause and kill act on its children too. */
  readonly tree?: boolean;
}

export async function spawnServer(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): Promise<ServerProcess> {
  const log = openSync(options.logFile, 'a');
  try {
    writeSync(log, `\n==== ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', log, log],
      detached: false,
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(new Error(`cannot start ${command}: ${error.message}`)));
    });
    if (child.pid === undefined) throw new Error(`cannot start ${command}: no pid`);
    return new ServerProcess(child, child.pid, options.tree);
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(log);
  }
}

/** The last `lines` lines of a log file, reading only its end so that a big log stays cheap. */
export function tailLog(file: string, lines = 40): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, 128 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(no log: ${error instanceof Error ? error.message : String(error)})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function withLog(message: string, logFile: string): Error {
  return new Error(`${message}\n---- last 40 lines of ${logFile} ----\n${tailLog(logFile, 40)}`);
}

export interface WaitOptions {
  /** Named in errors, e.g. "etcd on 127.0.0.1:2379 answering /health". */
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Fail at once, rather than at the deadline, if this process exits. */
  readonly process?: ServerProcess;
  /** Its tail goes into the error. */
  readonly logFile?: string;
}

/** Polls `probe` until it returns true; a probe that throws counts as not ready yet. */
export async function waitUntil(probe: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  let lastProblem = 'no answer yet';
  const fail = (message: string): Error => (options.logFile ? withLog(message, options.logFile) : new Error(message));
  for (;;) {
    if (options.process && !options.process.running) {
      throw fail(`${options.what}: the server exited (${options.process.exitDescription}) before it was ready`);
    }
    try {
      if (await probe()) return;
      lastProblem = 'not ready yet';
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw fail(`${options.what}: not ready after ${Math.round((Date.now() - started) / 1000)} s (${lastProblem})`);
    }
    await sleep(interval);
  }
}
