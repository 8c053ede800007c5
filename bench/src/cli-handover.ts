import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Summary, summarize } from './stats.js';

/** What each replica runs while it holds the lock: say so on stdout, then wait to be stopped. */
const COMMAND = 'echo started; exec sleep 600';
const batonBin = fileURLToPath(new URL('../../packages/cli/src/bin.ts', import.meta.url));

export interface CliHandoverResult {
  /** "baton run" or "consul lock". */
  readonly tool: string;
  /** From SIGTERM to the leading replica until the next replica's command printed its first line. */
  readonly ms: Summary;
}

/** Starts one replica of a command-line tool that runs COMMAND while it holds the lock. */
export interface ReplicaLauncher {
  readonly tool: string;
  start(election: string): Replica;
}

/**
 * A replica process: baton or its peer, each running COMMAND (`sh`, which prints one line
 * and execs `sleep`) while it leads. The command's stdout is the replica's, so the line
 * arrives here the moment the command starts.
 */
class Replica {
  /** hrtime (ns) at which the command's line arrived, once it has. */
  startedAt: bigint | undefined;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private ready = false;
  private readonly waiters = new Set<() => void>();

  constructor(argv: readonly string[], readyWhen: ((stderrLine: string) => boolean) | undefined) {
    const [program, ...args] = argv as [string, ...string[]];
    this.child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.ready = readyWhen === undefined;
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (this.startedAt === undefined && chunk.includes('started')) this.startedAt = process.hrtime.bigint();
      this.wake();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (readyWhen && chunk.split('\n').some(readyWhen)) this.ready = true;
      this.wake();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', () => resolve()));
  }

  stop(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves once the replica says it is campaigning (at once for a tool that cannot say). */
  async untilReady(timeoutMs: number): Promise<void> {
    await this.until(() => this.ready, timeoutMs, 'ready');
  }

  untilStarted(timeoutMs: number): Promise<bigint> {
    return this.until(() => this.startedAt, timeoutMs, 'its command started');
  }

  private until<T>(check: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(poll);
        reject(new Error(`replica not ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const poll = (): void => {
        const value = check();
        if (value === undefined || value === false) return;
        clearTimeout(timer);
        this.waiters.delete(poll);
        resolve(value as T);
      };
      this.waiters.add(poll);
      poll();
    });
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }
}

/** `baton run` from sources, with `--json` so that it can say when it campaigns. */
export function batonRun(url: string, ttlMs: number): ReplicaLauncher {
  return {
    tool: 'baton run',
    start: (election) =>
      new Replica(
        [
          process.execPath,
          '--conditions=source',
          '--import',
          'tsx',
          batonBin,
          'run',
          '--url',
          url,
          '--ttl',
          String(ttlMs),
          '--json',
          election,
          '--',
          'sh',
          '-c',
          COMMAND,
        ],
        (line) => line.includes('"event":"campaigning"'),
      ),
  };
}

/** `consul lock`, the Consul binary's own command, against the agent at `host:port`. */
export function consulLock(binary: string, host: string, port: number): ReplicaLauncher {
  return {
    tool: 'consul lock',
    start: (election) => new Replica([binary, 'lock', `-http-addr=${host}:${port}`, election, COMMAND], undefined),
  };
}

/**
 * Graceful handover of a command: two replicas, the leader's command running; SIGTERM the
 * leading replica (which stops its command and releases) and time until the other
 * replica's command has started. The stopped replica is replaced by a fresh one, which is
 * given a second to reach its waiting state before the next round, as a replica in real
 * use has long been waiting.
 */
export async function measureCliHandover(
  launcher: ReplicaLauncher,
  election: string,
  rounds: number,
): Promise<CliHandoverResult> {
  const settleMs = 1_000;
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, settleMs));
  const all: Replica[] = [];
  const launch = async (): Promise<Replica> => {
    const replica = launcher.start(election);
    all.push(replica);
    await replica.untilReady(30_000);
    await settle();
    return replica;
  };
  const samples: number[] = [];
  try {
    let leader = await launch();
    await leader.untilStarted(30_000);
    let follower = await launch();
    for (let round = 0; round < rounds; round++) {
      const stoppedAt = process.hrtime.bigint();
      leader.stop('SIGTERM');
      const startedAt = await follower.untilStarted(30_000);
      samples.push(Number(startedAt - stoppedAt) / 1e6);
      await leader.exited;
      leader = follower;
      follower = await launch();
    }
  } finally {
    for (const replica of all) replica.stop('SIGTERM');
    const stuck = setTimeout(() => {
      for (const replica of all) replica.stop('SIGKILL');
    }, 15_000);
    await Promise.all(all.map((replica) => replica.exited));
    clearTimeout(stuck);
  }
  return { tool: launcher.tool, ms: summarize(samples) };
}
