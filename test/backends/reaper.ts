import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Socket } from 'node:net';

// Servers must never outlive the test process, however it ends. Two layers:
// - an 'exit' handler SIGKILLs every server still registered and removes its directory, for
//   the ordinary ways a worker ends (process.exit, an uncaught error, the end of the loop);
// - a watchdog child holds a pipe from this process and SIGKILLs the registered pids when the
//   pipe closes, and then removes the registered directories; that also covers this process
//   being SIGKILLed (e.g. by a test runner timeout), where no handler of ours can run.
// Both act only on pids this module was given, never on process names.

const livePids = new Set<number>();
const liveDirs = new Set<string>();
let watchdog: ChildProcess | undefined;
let installed = false;

const WATCHDOG_SOURCE = `// baton test/backends watchdog
const fs = require('node:fs');
const pids = new Set();
const dirs = new Set();
let pending = '';
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let newline;
  while ((newline = pending.indexOf('\\n')) >= 0) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    const [op, kind] = [line[0], line[1]];
    const value = line.slice(3);
    const set = kind === 'P' ? pids : dirs;
    const item = kind === 'P' ? Number(value) : value;
    if (kind === 'P' && !(Number.isInteger(item) && item > 0)) continue;
    if (op === '+') set.add(item); else set.delete(item);
  }
});
process.stdin.on('close', () => {
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  // Give the killed servers a moment to release their files.
  setTimeout(() => {
    for (const dir of dirs) { try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 }); } catch {} }
    process.exit(0);
  }, pids.size > 0 ? 200 : 0);
});
`;

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', () => {
    for (const pid of livePids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const dir of liveDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // A server killed a moment ago may still be writing; the OS temp cleaner gets the rest.
      }
    }
  });
}

function ensureWatchdog(): ChildProcess | undefined {
  if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) return watchdog;
  try {
    const child = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: false,
    });
    child.on('error', () => {
      watchdog = undefined;
    });
    child.stdin?.on('error', () => {});
    // Neither the watchdog nor its pipe may keep the test process alive.
    child.unref();
    if (child.stdin instanceof Socket) child.stdin.unref();
    watchdog = child;
    return child;
  } catch {
    // The exit handler still covers the ordinary cases.
    return undefined;
  }
}

function tell(line: string): void {
  const stdin = ensureWatchdog()?.stdin;
  if (stdin?.writable) stdin.write(`${line}\n`);
}

/** Registers a server process that must die with this process. */
export function trackPid(pid: number): void {
  install();
  livePids.add(pid);
  tell(`+P ${pid}`);
}

export function untrackPid(pid: number): void {
  livePids.delete(pid);
  tell(`-P ${pid}`);
}

/** Registers a temporary directory to remove if this process exits before the server is stopped. */
export function trackDir(dir: string): void {
  install();
  liveDirs.add(dir);
  tell(`+D ${dir}`);
}

export function untrackDir(dir: string): void {
  liveDirs.delete(dir);
  tell(`-D ${dir}`);
}
