import { toAbortError } from './abort.js';

/**
 * A one-shot wake-up for a waiting candidate: `wake()` may come from a watch, a
 * notification or a lost lease, any number of times; `wait()` resolves once it has come,
 * and rejects with the stop signal's error when that aborts first.
 */
export class Wakeup {
  private readonly controller = new AbortController();

  /** Wakes the waiter; idempotent. */
  readonly wake = (): void => {
    this.controller.abort();
  };

  get woken(): boolean {
    return this.controller.signal.aborted;
  }

  /** Resolves once woken (at once if already); rejects with AbortError (or ClosedError) when `stop` aborts first. */
  wait(stop: AbortSignal): Promise<void> {
    const woken = this.controller.signal;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        woken.removeEventListener('abort', onWake);
        reject(toAbortError(stop));
      };
      const onWake = (): void => {
        stop.removeEventListener('abort', onAbort);
        resolve();
      };
      if (stop.aborted) return onAbort();
      if (woken.aborted) return onWake();
      stop.addEventListener('abort', onAbort, { once: true });
      woken.addEventListener('abort', onWake, { once: true });
    });
  }
}
