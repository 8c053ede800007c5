import { backoffDelay, sleep } from './abort.js';
import type { LeaderInfo } from './election.js';
import { serialisable } from './leader-info.js';
import type { Logger } from './logger.js';

/** How an adapter lets core observe an election: a read, and a nudge when it may have changed. */
export interface LeaderSource {
  read(signal: AbortSignal): Promise<LeaderInfo | undefined>;
  /**
   * Starts the store's notification (watch, pub/sub). `changed` says the leader may have
   * changed; `broken` says the notification failed and must be started again.
   * `signal` aborts when the observer stops. Returns a function that stops it.
   */
  subscribe(changed: () => void, broken: (error: unknown) => void, signal: AbortSignal): Promise<() => void>;
  /** Re-read this often even without a notification; for stores whose notification can be lost. */
  readonly pollEveryMs?: number;
}

export function sameLeader(a: LeaderInfo | undefined, b: LeaderInfo | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.id === b.id && a.token === b.token && a.value === b.value;
}

/**
 * The observe() every adapter shares. It subscribes before its first read so that no change
 * falls between them, re-reads on every nudge, and yields only what differs from the last
 * state it yielded. A broken watch or a failed read is retried with backoff, then followed
 * by a fresh read: an observer never stops silently; it ends only on abort or close.
 */
export async function* observeLeader(
  source: LeaderSource,
  stop: AbortSignal,
  logger: Logger,
  onResubscribe?: () => void,
): AsyncGenerator<LeaderInfo | undefined, void, undefined> {
  let dirty = true;
  let broken = false;
  let wake: (() => void) | undefined;
  const nudge = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const onStop = (): void => nudge();
  stop.addEventListener('abort', onStop, { once: true });
  let unsubscribe: (() => void) | undefined;
  let failures = 0;
  let last: { state: LeaderInfo | undefined } | undefined;
  try {
    while (!stop.aborted) {
      if (!unsubscribe || broken) {
        unsubscribe?.();
        unsubscribe = undefined;
        broken = false;
        try {
          unsubscribe = await source.subscribe(
            () => {
              dirty = true;
              nudge();
            },
            (error) => {
              logger.warn({ err: error }, 'leader watch broke; re-subscribing and re-reading');
              if (!broken) onResubscribe?.();
              broken = true;
              dirty = true;
              nudge();
            },
            stop,
          );
        } catch (error) {
          if (stop.aborted) break;
          logger.warn({ err: error }, 'could not subscribe to leader changes; retrying');
          await sleep(backoffDelay(failures++), stop).catch(() => undefined);
          continue;
        }
        dirty = true;
      }
      if (dirty) {
        dirty = false;
        let state: LeaderInfo | undefined;
        try {
          state = await source.read(stop);
          failures = 0;
        } catch (error) {
          if (stop.aborted) break;
          logger.warn({ err: error }, 'could not read the leader; retrying');
          dirty = true;
          await sleep(backoffDelay(failures++), stop).catch(() => undefined);
          continue;
        }
        if (stop.aborted) break;
        if (!last || !sameLeader(last.state, state)) {
          last = { state };
          yield serialisable(state);
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (source.pollEveryMs !== undefined) {
          const timer = setTimeout(() => {
            dirty = true;
            nudge();
          }, source.pollEveryMs);
          const clear = wake;
          wake = () => {
            clearTimeout(timer);
            clear();
          };
        }
      });
    }
  } finally {
    stop.removeEventListener('abort', onStop);
    unsubscribe?.();
  }
}
