import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ExitInfo, ServerProcess } from '../backends/process.js';

const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-client-go-elector.sh', import.meta.url));

/** One line the Go program printed (see test/interop/client-go-elector/main.go). */
export interface ElectorEvent {
  readonly event: 'ready' | 'new-leader' | 'started-leading' | 'stopped-leading' | 'exit';
  readonly identity: string;
  /** namespace/name */
  readonly lease: string;
  /** The Go process's wall clock, RFC 3339. */
  readonly time: string;
  readonly leader?: string;
  readonly reason?: string;
  /** performance.now() in this process when the line was read: one monotonic clock for every elector. */
  readonly at: number;
}

export interface ElectorOptions {
  readonly kubeconfig: string;
  readonly namespace: string;
  /** The Lease's name. */
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  /** Campaign again after a loss instead of exiting. */
  readonly rejoin?: boolean;
}

/**
 * Where scripts/build-client-go-elector.sh keeps the binary for the current sources. The script
 * names it, so the two cannot disagree on the hash.
 * @throws when it is not built, saying how to build it.
 */
export function clientGoElectorBinary(): string {
  const path = execFileSync('bash', [BUILD_SCRIPT, '--print-path'], { encoding: 'utf8' }).trim();
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is missing; build it with: bash scripts/build-client-go-elector.sh`);
  }
  return path;
}

const STDERR_LINES = 40;

/** A running client-go-elector process, killed with the test process if a test forgets it. */
export class ClientGoElector {
  readonly events: ElectorEvent[] = [];
  private readonly stderr: string[] = [];
  private readonly listeners = new Set<() => void>();
  /** Set once stdout is drained after the exit, so no event can still arrive. */
  private closed = false;

  private constructor(
    readonly identity: string,
    private readonly process: ServerProcess,
  ) {}

  /** Starts the program and waits until it has loaded its configuration ("ready"). */
  static async start(binary: string, options: ElectorOptions): Promise<ClientGoElector> {
    // biome-ignore format: flag and value pairs
    const args = [
      '-kubeconfig', options.kubeconfig,
      '-namespace', options.namespace,
      '-name', options.name,
      '-identity', options.identity,
      '-lease-duration', `${options.leaseDurationMs}ms`,
      '-renew-deadline', `${options.renewDeadlineMs}ms`,
      '-retry-period', `${options.retryPeriodMs}ms`,
      ...(options.rejoin ? ['-rejoin'] : []),
    ];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(new Error(`cannot start ${binary}: ${error.message}`)));
    });
    if (child.pid === undefined) throw new Error(`cannot start ${binary}: no pid`);
    const elector = new ClientGoElector(options.identity, new ServerProcess(child, child.pid));
    createInterface({ input: child.stdout }).on('line', (line) => elector.onLine(line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      elector.stderr.push(line);
      if (elector.stderr.length > STDERR_LINES) elector.stderr.shift();
    });
    child.once('close', () => {
      elector.closed = true;
      elector.notify();
    });
    await elector.waitFor('ready', (event) => event.event === 'ready', 15_000);
    return elector;
  }

  get pid(): number {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.running;
  }

  get exited(): Promise<ExitInfo> {
    return this.process.exited;
  }

  /** The first event, already seen or still to come, that matches; rejects after `timeoutMs` or when the process exits. */
  waitFor(what: string, match: (event: ElectorEvent) => boolean, timeoutMs: number): Promise<ElectorEvent> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.events.find(match);
        if (found) finish(() => resolve(found));
        else if (this.closed) {
          finish(() =>
            reject(this.failure(`${this.identity} exited (${this.process.exitDescription}) before ${what}`)),
          );
        }
      };
      const timer = setTimeout(
        () => finish(() => reject(this.failure(`${this.identity}: no ${what} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** SIGTERM, as Kubernetes stops a pod: a leader releases the Lease before it exits. */
  async stop(graceMs = 10_000): Promise<ExitInfo> {
    return this.process.terminate(graceMs);
  }

  /** SIGKILL: no release, the Lease stays held until it expires. */
  async kill(): Promise<ExitInfo> {
    return this.process.killNow();
  }

  private onLine(line: string): void {
    const at = performance.now();
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.stderr.push(`(stdout, not JSON) ${line}`);
      return;
    }
    this.events.push({ ...(parsed as Omit<ElectorEvent, 'at'>), at });
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private failure(message: string): Error {
    return new Error(`${message}\n---- last lines of its stderr ----\n${this.stderr.join('\n')}`);
  }
}
