import type { WorkerEvent } from './worker.js';

interface Timed {
  readonly at: number;
  readonly event: WorkerEvent;
}

/** Every worker event in arrival order, with waits on what comes next. */
export class EventLog {
  readonly entries: Timed[] = [];
  private readonly waiters = new Set<() => void>();

  push(event: WorkerEvent): void {
    this.entries.push({ at: performance.now(), event });
    for (const waiter of [...this.waiters]) waiter();
  }

  get mark(): number {
    return this.entries.length;
  }

  /** The first event at or after `from` that matches, waiting up to `timeoutMs` for it. */
  waitFor<E extends WorkerEvent>(
    from: number,
    match: (event: WorkerEvent) => event is E,
    timeoutMs: number,
    what: string,
  ): Promise<{ at: number; event: E }> {
    return new Promise((resolve, reject) => {
      let index = from;
      const check = (): void => {
        for (; index < this.entries.length; index++) {
          const entry = this.entries[index];
          if (entry && match(entry.event)) {
            done();
            resolve({ at: entry.at, event: entry.event });
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

/** Polls `condition` until it holds; throws after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
