import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CandidatePlan } from './candidate.js';

/** One line a candidate process printed. `at` is hrtime in ns, as a string. */
export interface CandidateEvent {
  readonly event: string;
  readonly id: string;
  readonly at: string;
  readonly token?: string;
  readonly validUntil?: string;
  readonly reason?: string;
  readonly accepted?: boolean;
  readonly stale?: boolean;
  readonly error?: string;
  /** On a `metrics` line: the event that prompted it, and the data points as JSON (MetricPoint[]). */
  readonly after?: string;
  readonly metrics?: string;
}

/** What every candidate script is given: at least its id. */
export interface ChildPlan {
  readonly id: string;
}

const candidateScript = new URL(`./candidate${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * A candidate running in its own process, driven and watched by the suite. The script is
 * Baton's candidate by default; another script that prints the same JSON lines (ready,
 * elected, lost) and obeys the same stdin commands can be driven the same way.
 */
export class CandidateProcess {
  readonly events: CandidateEvent[] = [];
  /** hrtime of each signal the suite sent, to close the books on a killed process. */
  readonly signals: { readonly signal: NodeJS.Signals; readonly at: bigint }[] = [];
  readonly exited: Promise<number | null>;
  private stderr = '';
  private readonly child: ChildProcessWithoutNullStreams;

  private constructor(
    readonly plan: ChildPlan,
    script: URL,
  ) {
    const path = fileURLToPath(script);
    // A TypeScript script runs from sources, through tsx with the "source" export condition.
    const args = path.endsWith('.ts') ? ['--conditions=source', '--import', 'tsx', path] : [path];
    this.child = spawn(process.execPath, [...args, JSON.stringify(plan)], { stdio: 'pipe' });
    let buffered = '';
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('{')) this.events.push(JSON.parse(line) as CandidateEvent);
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4_000);
    });
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Baton's own candidate: campaigns, writes to the fenced resource while it leads. */
  static start(plan: CandidatePlan, readyTimeoutMs = 20_000): Promise<CandidateProcess> {
    return CandidateProcess.startScript(candidateScript, plan, readyTimeoutMs);
  }

  /** Another candidate script, such as a peer library's, driven the same way. */
  static async startScript<Plan extends ChildPlan>(
    script: URL,
    plan: Plan,
    readyTimeoutMs = 20_000,
  ): Promise<CandidateProcess> {
    const candidate = new CandidateProcess(plan, script);
    await candidate.waitFor('ready', readyTimeoutMs, (event) => event.event === 'ready');
    return candidate;
  }

  get id(): string {
    return this.plan.id;
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error(`candidate ${this.id} has no pid`);
    return pid;
  }

  /** The latest event matching `match`, waiting for one up to `timeoutMs`. */
  async waitFor(
    what: string,
    timeoutMs: number,
    match: (event: CandidateEvent) => boolean,
    after = 0,
  ): Promise<CandidateEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(after).find(match);
      if (found) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        const recent = this.events
          .slice(Math.max(after, this.events.length - 5))
          .map((event) => [event.event, event.reason ?? event.error ?? event.token].filter(Boolean).join(' '));
        throw new Error(
          `candidate ${this.id}: timed out waiting for ${what}; its last events: ${recent.join(' | ') || 'none'}; stderr: ${this.stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** What the process wrote to stderr so far (Baton's warnings, crashes). */
  get stderrText(): string {
    return this.stderr;
  }

  isLeaderNow(): boolean {
    const last = [...this.events].reverse().find((event) => event.event === 'elected' || event.event === 'lost');
    return last?.event === 'elected';
  }

  signal(signal: NodeJS.Signals): void {
    this.signals.push({ signal, at: process.hrtime.bigint() });
    this.child.kill(signal);
  }

  send(command: string): void {
    this.child.stdin.write(`${JSON.stringify({ command })}\n`);
  }

  /** Asks the candidate to resign and exit; kills it if it does not within `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGCONT');
    this.send('exit');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
