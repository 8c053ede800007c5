import { existsSync, readFileSync } from 'node:fs';

/** One run of the ticker command, as its file tells it. Times are hrtime in ns. */
export interface ChildLife {
  readonly file: string;
  readonly pid: number;
  readonly token: bigint;
  readonly leaderId: string;
  readonly election: string;
  readonly ttlMs: number;
  readonly start: bigint;
  /** The last line it wrote: it was alive until at least then. */
  readonly last: bigint;
  readonly gotTerm: boolean;
  readonly exitCode: number | undefined;
}

interface Line {
  readonly event: string;
  readonly at: string;
  readonly pid: number;
  readonly token?: string;
  readonly leaderId?: string;
  readonly election?: string;
  readonly ttlMs?: string;
  readonly code?: number;
}

/** Every run of the ticker recorded in `file`, in order (a baton that is re-elected reruns it into the same file). */
export function readLives(file: string): ChildLife[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);
  const lives: ChildLife[] = [];
  for (const start of lines.filter((line) => line.event === 'start')) {
    // Lines are appended in the order they happen, so a pid's last line is its latest.
    const own = lines.filter((line) => line.pid === start.pid);
    lives.push({
      file,
      pid: start.pid,
      token: BigInt(start.token ?? '-1'),
      leaderId: start.leaderId ?? '',
      election: start.election ?? '',
      ttlMs: Number(start.ttlMs),
      start: BigInt(start.at),
      last: BigInt((own.at(-1) ?? start).at),
      gotTerm: own.some((line) => line.event === 'term'),
      exitCode: own.find((line) => line.event === 'exit')?.code,
    });
  }
  return lives;
}

/** Pairs of lives that overlapped: one started before another one's last sign of life. */
export function overlaps(lives: readonly ChildLife[]): [ChildLife, ChildLife][] {
  const sorted = [...lives].sort((a, b) => (a.start < b.start ? -1 : 1));
  const found: [ChildLife, ChildLife][] = [];
  for (const [i, later] of sorted.entries()) {
    for (const earlier of sorted.slice(0, i)) if (earlier.last >= later.start) found.push([earlier, later]);
  }
  return found;
}

/** Whether `pid` is a live process (a zombie awaiting its reaper is not). Linux /proc. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
