import { AbortError, BackendUnavailableError, BatonError } from './errors.js';

/** Throws an AbortError when `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw toAbortError(signal);
}

/** The error a wait cut short by `signal` rejects with: the reason itself when it is ours (AbortError, ClosedError). */
export function toAbortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof BatonError) return reason;
  return new AbortError(undefined, { cause: reason });
}

/** Resolves after `ms`, or rejects with AbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(toAbortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(toAbortError(signal as AbortSignal));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Races `promise` against `signal`: rejects with AbortError on abort; the promise itself is left to settle. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(toAbortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(toAbortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Runs `operation` with a signal that aborts after `timeoutMs`; rejects with
 * BackendUnavailableError naming `what` when the time runs out first.
 */
export async function withTimeout<T>(
  what: string,
  timeoutMs: number,
  operation: (signal: AbortSignal) => Promise<T>,
  parent?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new BackendUnavailableError(`${what} did not complete within ${timeoutMs} ms`)),
    timeoutMs,
  );
  const onParentAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  try {
    const pending = operation(controller.signal);
    return await new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        const reason: unknown = controller.signal.reason;
        reject(reason instanceof Error ? reason : new AbortError(undefined, { cause: reason }));
      };
      if (controller.signal.aborted) onAbort();
      controller.signal.addEventListener('abort', onAbort, { once: true });
      pending.then(resolve, reject).finally(() => controller.signal.removeEventListener('abort', onAbort));
    });
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  }
}

/** A delay in [base * (1 - spread), base * (1 + spread)], so that waiters woken together do not retry together. */
export function jitter(baseMs: number, spread = 0.5): number {
  return baseMs * (1 - spread + Math.random() * 2 * spread);
}

/** Exponential backoff with full jitter, capped. `attempt` counts from 0. */
export function backoffDelay(attempt: number, baseMs = 100, capMs = 5_000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 16));
}
