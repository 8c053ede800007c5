import { randomUUID } from 'node:crypto';
import type { Backend, BackendOptions, LeaderInfo, Leadership } from '@baton/core';
import { monotonicNow } from '@baton/core/adapter';
import type { ConformanceTarget } from './target.js';

/** State one suite run shares between its cases: the target, and every client to close. */
export class SuiteContext {
  /** The backend's name, for reports. */
  name = '';
  private targetValue: ConformanceTarget | undefined;
  private readonly clients = new Set<Backend>();

  setTarget(target: ConformanceTarget): void {
    this.targetValue = target;
  }

  get target(): ConformanceTarget {
    if (!this.targetValue) throw new Error('the conformance target was not set up');
    return this.targetValue;
  }

  get ttlMs(): number {
    return this.target.ttlMs;
  }

  /** The ttl once set up; a default for computing timeouts while cases are registered. */
  get ttlMsOrDefault(): number {
    return this.targetValue?.ttlMs ?? 2_000;
  }

  /** A new client of the store under test, closed after the case. */
  async client(options?: BackendOptions): Promise<Backend> {
    const backend = await this.target.connect(options);
    this.clients.add(backend);
    return backend;
  }

  async closeClients(): Promise<void> {
    const clients = [...this.clients];
    this.clients.clear();
    await Promise.allSettled(clients.map((client) => client.close()));
  }
}

/** An election name no earlier run on the same store has used. */
export function uniqueElection(label: string): string {
  return `conformance/${label}/${randomUUID().slice(0, 8)}`;
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  everyMs = 25,
): Promise<T> {
  const deadline = monotonicNow() + timeoutMs;
  let lastError: unknown;
  while (monotonicNow() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
}

/** Rejects if `promise` does not settle within `timeoutMs`. */
export async function within<T>(what: string, timeoutMs: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with whether `promise` settled within `ms`, without rejecting. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}

/** One leadership's span on the monotonic clock, from election to the abort of its signal. */
export interface HeldInterval {
  readonly holder: string;
  readonly token: bigint;
  readonly from: number;
  to: number | undefined;
}

/**
 * Records who held leadership when, on one monotonic clock, so that a case can assert that
 * no two candidates led at the same instant and that tokens only grew.
 */
export class LeadershipLog {
  readonly intervals: HeldInterval[] = [];

  record(holder: string, leadership: Leadership): HeldInterval {
    const interval: HeldInterval = { holder, token: leadership.token, from: monotonicNow(), to: undefined };
    this.intervals.push(interval);
    const close = (): void => {
      interval.to ??= monotonicNow();
    };
    if (leadership.signal.aborted) close();
    else leadership.signal.addEventListener('abort', close, { once: true });
    return interval;
  }

  /** Pairs of intervals that overlap; an interval still open counts as lasting until now. */
  overlaps(): [HeldInterval, HeldInterval][] {
    const sorted = [...this.intervals].sort((a, b) => a.from - b.from);
    const found: [HeldInterval, HeldInterval][] = [];
    for (let i = 1; i < sorted.length; i++) {
      const previous = sorted[i - 1] as HeldInterval;
      const current = sorted[i] as HeldInterval;
      if ((previous.to ?? Number.POSITIVE_INFINITY) > current.from) found.push([previous, current]);
    }
    return found;
  }

  /** True when tokens grow strictly in the order leaderships began. */
  tokensIncrease(): boolean {
    const sorted = [...this.intervals].sort((a, b) => a.from - b.from);
    return sorted.every((interval, i) => i === 0 || interval.token > (sorted[i - 1] as HeldInterval).token);
  }
}

/** Collects what an observer yields, so that a case can wait for a given state. */
export class ObservedStates {
  readonly states: (LeaderInfo | undefined)[] = [];
  private readonly controller = new AbortController();
  private readonly done: Promise<void>;
  private failure: unknown;

  constructor(iterable: (signal: AbortSignal) => AsyncIterable<LeaderInfo | undefined>) {
    this.done = (async () => {
      try {
        for await (const state of iterable(this.controller.signal)) this.states.push(state);
      } catch (error) {
        this.failure = error;
      }
    })();
  }

  /** Waits until the latest state satisfies `match`; returns its index. */
  async waitFor(what: string, timeoutMs: number, match: (state: LeaderInfo | undefined) => boolean): Promise<number> {
    return eventually(what, timeoutMs, async () => {
      if (this.failure) throw this.failure;
      const index = this.states.length - 1;
      return index >= 0 && match(this.states[index]) ? index : undefined;
    });
  }

  /** Stops observing; resolves when the iteration has ended. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.done;
    if (this.failure) throw this.failure;
  }

  get ended(): Promise<void> {
    return this.done;
  }
}
