import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

// A server that forks a process per connection (PostgreSQL's postmaster and its backends) is
// only paused or killed as a whole if each of its children gets the signal too: a stopped
// postmaster still leaves every open connection answered by its own backend. Children are
// found through /proc by parent pid, never by name.

interface ProcState {
  /** R, S, D, T (stopped), Z (zombie), ... */
  readonly state: string;
  readonly ppid: number;
}

function readState(pid: number): ProcState | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may itself hold spaces and parentheses.
    const [state = '', ppid = ''] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** Throws unless /proc can be read, which a process tree needs (Linux). */
export function assertProcfs(what: string): void {
  if (!existsSync('/proc/self/stat')) throw new Error(`${what} needs /proc (Linux) to find the server's children`);
}

/** The live (not zombie) children of `pid`. */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = Number(entry);
    const state = readState(child);
    if (state && state.ppid === pid && state.state !== 'Z') children.push(child);
  }
  return children;
}

/** Whether `pid` has exited (gone, or a zombie waiting to be reaped). */
export function isGone(pid: number): boolean {
  const state = readState(pid)?.state;
  return state === undefined || state === 'Z';
}

/** Whether `pid` is stopped by a signal, or gone. */
function isStoppedOrGone(pid: number): boolean {
  const state = readState(pid)?.state;
  return state === undefined || state === 'Z' || state === 'T' || state === 't';
}

async function waitFor(pids: readonly number[], done: (pid: number) => boolean, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let pending = pids.filter((pid) => !done(pid));
  while (pending.length > 0 && Date.now() < deadline) {
    await sleep(2);
    pending = pending.filter((pid) => !done(pid));
  }
  return pending;
}

/**
 * Waits until every pid is stopped (SIGSTOP delivered) or gone. A signal sent with kill() is
 * delivered when the target next runs, so a parent asked to stop may fork once more before
 * it does; its children are listed only after this.
 */
export async function waitStopped(pids: readonly number[], timeoutMs = 2_000): Promise<void> {
  const pending = await waitFor(pids, isStoppedOrGone, timeoutMs);
  if (pending.length > 0) throw new Error(`processes ${pending.join(', ')} did not stop within ${timeoutMs} ms`);
}

/** Waits until every pid has exited; returns those still there after `timeoutMs`. */
export function waitGone(pids: readonly number[], timeoutMs = 5_000): Promise<number[]> {
  return waitFor(pids, isGone, timeoutMs);
}

/** kill(pid, signal), ignoring a process that is already gone. */
export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Exited in the meantime.
  }
}
