import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type DriverCommand, encode, lineSplitter, parseWorkerLine, type WorkerConfig } from './protocol.js';
import type { Replica } from './replica.js';
import type { HoldPoint, WorkerEvent } from './worker.js';

/**
 * A worker in its own Node process (worker-process.ts), crashed with SIGKILL and frozen with
 * SIGSTOP: the real thing, as a container runtime or a long GC pause would do it.
 */
export class ChildReplica implements Replica {
  readonly id: string;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<void>;
  private hasExited = false;
  private killedByUs = false;
  private frozen = false;
  private stderrTail = '';

  private constructor(config: WorkerConfig, emit: (event: WorkerEvent) => void, onReady: () => void) {
    this.id = config.id;
    const fromSource = import.meta.url.endsWith('.ts');
    const script = fileURLToPath(new URL(`./worker-process${fromSource ? '.ts' : '.js'}`, import.meta.url));
    const args = fromSource ? ['--conditions=source', '--import', 'tsx', script] : [script];
    // From the package directory, so that `--import tsx` resolves to the workspace's tsx.
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    this.child = spawn(process.execPath, [...args, JSON.stringify(config)], { cwd, stdio: 'pipe' });
    this.child.stdout.setEncoding('utf8').on(
      'data',
      lineSplitter((line) => {
        const message = parseWorkerLine(line);
        if (!message) return;
        if (message.type === 'ready') onReady();
        else if (message.type !== 'exiting') emit(message);
      }),
    );
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4_000);
    });
    // A write to a process that has died must not crash the driver.
    this.child.stdin.on('error', () => {});
    // If the driver exits abruptly (Ctrl-C, an uncaught error), take the worker along: a
    // SIGSTOPped one could not even notice that its stdin closed.
    const reap = (): void => {
      if (!this.hasExited) this.child.kill('SIGKILL');
    };
    process.once('exit', reap);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.hasExited = true;
        process.removeListener('exit', reap);
        if (!this.killedByUs && code !== 0) {
          emit({
            type: 'error',
            worker: this.id,
            message: `exited with ${signal ?? `code ${code}`}: ${this.stderrTail.trim().slice(-1_000)}`,
          });
        }
        resolve();
      });
    });
  }

  /** Starts the process and waits until it has connected to the store and the ledger. */
  static async start(
    config: WorkerConfig,
    emit: (event: WorkerEvent) => void,
    readyTimeoutMs: number,
  ): Promise<ChildReplica> {
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const replica = new ChildReplica(config, emit, ready);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      isReady.then(() => 'ready' as const),
      replica.exited.then(() => 'exited' as const),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), readyTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (outcome !== 'ready') {
      await replica.kill();
      throw new Error(`worker ${config.id} did not start (${outcome}): ${replica.stderrTail.trim().slice(-2_000)}`);
    }
    return replica;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  holdAt(point: HoldPoint): void {
    this.send({ cmd: 'hold', point });
  }

  async crash(): Promise<void> {
    await this.kill();
  }

  async freeze(): Promise<void> {
    if (this.hasExited) return;
    this.frozen = true;
    this.child.kill('SIGSTOP');
  }

  async thaw(): Promise<void> {
    if (this.hasExited) return;
    this.frozen = false;
    this.child.kill('SIGCONT');
    // The worker was held where the pause hit; it carries on from there.
    this.send({ cmd: 'release' });
  }

  async stop(): Promise<void> {
    if (this.hasExited) return;
    if (this.frozen) await this.thaw();
    this.send({ cmd: 'stop' });
    if (await this.exitsWithin(15_000)) return;
    await this.kill();
  }

  private async kill(): Promise<void> {
    if (this.hasExited) return;
    this.killedByUs = true;
    this.child.kill('SIGKILL');
    await this.exitsWithin(10_000);
  }

  private send(command: DriverCommand): void {
    if (!this.hasExited && this.child.stdin.writable) this.child.stdin.write(encode(command));
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return result;
  }
}
