import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerProcess, spawnServer, waitUntil } from './process.js';
import { trackDir, untrackDir } from './reaper.js';
import type { BackendKind, ServerHandle } from './types.js';

export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this user and group, e.g. PostgreSQL, which refuses to run as root. */
  readonly uid?: number;
  readonly gid?: number;
}

/** What a backend tells the generic local server about itself. */
export interface LocalServerSpec {
  readonly kind: BackendKind;
  /** For messages, e.g. "etcd member n2". */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly readyTimeoutMs: number;
  /** How long the stop signal gets before SIGKILL. */
  readonly stopGraceMs: number;
  /** The signal for a clean, prompt shutdown; SIGTERM unless the server needs another. */
  readonly stopSignal?: NodeJS.Signals;
  /** The server forks a process per connection: pause(), resume() and kill() act on every one. */
  readonly processTree?: boolean;
  /** A URL with administrator rights, where it differs from `url` (PostgreSQL's superuser). */
  readonly adminUrl?: string;
  /** The CA certificate that signed the server's own, for a server started with TLS. */
  readonly caFile?: string;
  /** Writes configuration and creates the data directory; `wipe` empties the data first. */
  prepare(dir: string, wipe: boolean): Promise<void>;
  launch(dir: string): Launch;
  /** The server answers its clients on its own (a cluster member may still lack a quorum). */
  serving(): Promise<boolean>;
  /** The server is part of a working store: has a leader, a Mode, answers PONG. */
  ready(): Promise<boolean>;
  /**
   * Whether to wait for ready() after serving(); false for a cluster member restarted while too
   * few of its peers run for a quorum, which could never become ready.
   */
  expectQuorum?(): boolean;
  /** Restarting with wipe may be impossible (an etcd member cannot rejoin with empty data). */
  readonly wipeUnsupported?: string;
  /** Runs after every boot once ready, e.g. to create what a fresh data directory lacks. */
  setUp?(): Promise<void>;
}

/** Makes the temporary directory a local server lives in, removed when it is stopped. */
export async function makeServerDir(kind: BackendKind): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `baton-${kind}-`));
  trackDir(dir);
  return dir;
}

/** Removes a directory made by makeServerDir whose server never started. */
export async function removeServerDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  untrackDir(dir);
}

/** The data directory inside a server's `dir`, emptied first when `wipe` (a restart with lost state). */
export async function dataDir(dir: string, wipe: boolean): Promise<string> {
  const data = join(dir, 'data');
  if (wipe) await rm(data, { recursive: true, force: true });
  await mkdir(data, { recursive: true });
  return data;
}

/** A server process of our own on 127.0.0.1, driven by signals to the pid we started. */
export class LocalServer implements ServerHandle {
  readonly source = 'local' as const;
  readonly kind: BackendKind;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly logFile: string;
  readonly adminUrl?: string;
  readonly caFile?: string;
  private process: ServerProcess | undefined;
  private stopped = false;

  private constructor(
    private readonly spec: LocalServerSpec,
    dir: string,
  ) {
    this.kind = spec.kind;
    this.url = spec.url;
    this.host = spec.host;
    this.port = spec.port;
    this.dir = dir;
    this.logFile = join(dir, 'server.log');
    if (spec.adminUrl !== undefined) this.adminUrl = spec.adminUrl;
    if (spec.caFile !== undefined) this.caFile = spec.caFile;
  }

  /**
   * Starts the server in `dir` and waits until ready; on failure, stops it, removes `dir`
   * and rethrows with the log tail.
   */
  static async start(spec: LocalServerSpec, dir: string): Promise<LocalServer> {
    const server = new LocalServer(spec, dir);
    try {
      await server.boot(false);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  private async boot(wipe: boolean): Promise<void> {
    await this.spec.prepare(this.dir, wipe);
    const launch = this.spec.launch(this.dir);
    this.process = await spawnServer(launch.command, launch.args, {
      cwd: this.dir,
      logFile: this.logFile,
      ...(launch.env ? { env: launch.env } : {}),
      ...(launch.uid === undefined ? {} : { uid: launch.uid }),
      ...(launch.gid === undefined ? {} : { gid: launch.gid }),
      ...(this.spec.processTree ? { tree: true } : {}),
    });
    // stop() ran while this (re)start was under way, e.g. from an afterAll after a timeout:
    // the new process must not outlive the handle.
    if (this.stopped) {
      await this.process.killNow();
      throw new Error(`${this.spec.name}: stopped while starting`);
    }
    const wait = { timeoutMs: this.spec.readyTimeoutMs, process: this.process, logFile: this.logFile };
    await waitUntil(() => this.spec.serving(), { ...wait, what: `${this.spec.name} on ${this.host}:${this.port}` });
    if (this.spec.expectQuorum?.() ?? true) {
      await waitUntil(() => this.spec.ready(), {
        ...wait,
        what: `${this.spec.name} on ${this.host}:${this.port} ready`,
      });
    }
    await this.spec.setUp?.();
  }

  private async halt(): Promise<void> {
    await this.process?.terminate(this.spec.stopGraceMs, this.spec.stopSignal);
  }

  private assertUsable(action: string): void {
    if (this.stopped) throw new Error(`${this.spec.name}: ${action}() after stop(); start a new server instead`);
  }

  async stop(): Promise<void> {
    await this.remove(true);
  }

  /**
   * stop() without the graceful part, for tearing down a whole cluster: an etcd leader told
   * to stop while its peers stop too waits seconds to hand its leadership to one of them.
   */
  async destroy(): Promise<void> {
    await this.remove(false);
  }

  private async remove(graceful: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (graceful) await this.halt();
    else await this.process?.killNow();
    await removeServerDir(this.dir);
  }

  async restart(options: { wipe?: boolean } = {}): Promise<void> {
    this.assertUsable('restart');
    if (options.wipe && this.spec.wipeUnsupported) throw new Error(`${this.spec.name}: ${this.spec.wipeUnsupported}`);
    await this.halt();
    await this.boot(options.wipe ?? false);
  }

  async pause(): Promise<void> {
    this.assertUsable('pause');
    if (!this.process?.running) throw new Error(`${this.spec.name}: pause() while the server is not running`);
    await this.process.pause();
  }

  async resume(): Promise<void> {
    this.assertUsable('resume');
    if (!this.process?.running) throw new Error(`${this.spec.name}: resume() while the server is not running`);
    await this.process.resume();
  }

  async kill(): Promise<void> {
    this.assertUsable('kill');
    await this.process?.killNow();
  }
}
