import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));
const ticker = fileURLToPath(new URL('./ticker.mjs', import.meta.url));

/** A `--json` line as baton printed it (status events on stderr, results on stdout), with when the test received it. */
export interface BatonEvent {
  readonly event: string;
  readonly stream: 'stdout' | 'stderr';
  readonly receivedAt: bigint;
  readonly [field: string]: unknown;
}

export interface BatonExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** hrtime (ns) when the test saw the exit. */
  readonly at: bigint;
}

/**
 * `baton` in its own process, from sources (tsx, "source" export condition), with its
 * stdout and stderr captured and its `--json` events parsed as they arrive.
 */
export class BatonProcess {
  readonly events: BatonEvent[] = [];
  readonly exited: Promise<BatonExit>;
  readonly startedAt = process.hrtime.bigint();
  stdout = '';
  stderr = '';
  private readonly waiters = new Set<() => void>();
  private readonly pidValue: number;

  private constructor(args: readonly string[], env: Readonly<Record<string, string>>) {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    if (child.pid === undefined) throw new Error('baton did not start');
    this.pidValue = child.pid;
    const partial = { stdout: '', stderr: '' };
    const collect = (stream: 'stdout' | 'stderr') => (chunk: string) => {
      this[stream] += chunk;
      const lines = (partial[stream] + chunk).split('\n');
      partial[stream] = lines.pop() ?? '';
      const receivedAt = process.hrtime.bigint();
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        this.events.push({ ...(JSON.parse(line) as Record<string, unknown>), stream, receivedAt } as BatonEvent);
      }
      for (const wake of this.waiters) wake();
    };
    child.stdout.setEncoding('utf8').on('data', collect('stdout'));
    child.stderr.setEncoding('utf8').on('data', collect('stderr'));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        resolve({ code, signal, at: process.hrtime.bigint() });
        for (const wake of this.waiters) wake();
      }),
    );
  }

  /** Starts `baton ARGS...`; `env` is added to the test's environment. */
  static start(args: readonly string[], env: Readonly<Record<string, string>> = {}): BatonProcess {
    return new BatonProcess(args, env);
  }

  get pid(): number {
    return this.pidValue;
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.pidValue, signal);
  }

  /** The first event named `event` (matching `where`), waiting up to `timeoutMs` for it. */
  async waitFor(event: string, timeoutMs: number, where: (e: BatonEvent) => boolean = () => true): Promise<BatonEvent> {
    const find = (): BatonEvent | undefined => this.events.find((e) => e.event === event && where(e));
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    const found = find();
    if (found) return found;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`baton printed no "${event}" event within ${timeoutMs} ms; stderr:\n${this.stderr}`));
      }, timeoutMs);
      const check = (): void => {
        const hit = find();
        if (!hit && !exited) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        if (hit) resolve(hit);
        else reject(new Error(`baton exited without a "${event}" event; stderr:\n${this.stderr}`));
      };
      this.waiters.add(check);
    });
  }

  /** SIGKILLs it if it still runs; for clean-up. */
  async stop(): Promise<void> {
    try {
      process.kill(this.pidValue, 'SIGKILL');
    } catch {
      // already gone
    }
    await this.exited;
  }
}

export interface BatonResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly events: readonly BatonEvent[];
  /** Wall time from spawn to exit, in ms. */
  readonly ms: number;
}

/** Runs `baton ARGS...` to its end (SIGKILLed after `timeoutMs`). */
export async function runBaton(
  args: readonly string[],
  options: { readonly env?: Readonly<Record<string, string>>; readonly timeoutMs?: number } = {},
): Promise<BatonResult> {
  const baton = BatonProcess.start(args, options.env);
  const timer = setTimeout(() => void baton.stop(), options.timeoutMs ?? 30_000);
  const exit = await baton.exited;
  clearTimeout(timer);
  return {
    code: exit.code,
    signal: exit.signal,
    stdout: baton.stdout,
    stderr: baton.stderr,
    events: baton.events,
    ms: Number(exit.at - baton.startedAt) / 1e6,
  };
}

/** The argv after `--` that runs the ticker writing to `file`. */
export function tickerCommand(file: string): string[] {
  return [process.execPath, ticker, file];
}
