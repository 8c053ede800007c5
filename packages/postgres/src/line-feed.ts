import { toAbortError } from '@baton/core/adapter';
import type { ChangeListener, ChangeOp, NotificationHub } from './notifications.js';

/** What a leading candidacy hears: a change to its own row, or a request to check it ('check'). */
export type OwnRowEvent = ChangeOp | 'check';

/**
 * One candidacy's view of its election's notifications, from before its row exists to the end
 * of its term. While it waits, it wakes only for the deletion of its predecessor or of its own
 * row (no stampede), or when asked to look again (LISTEN re-established, a renewal counted a row
 * fewer, the session lost); deletions heard while a `try_lead` was on its way are kept until
 * the next wait. Once it leads, every change to its own row goes to the term.
 */
export class LineFeed implements ChangeListener {
  private readonly own: bigint;
  private readonly unlisten: () => void;
  private readonly deleted = new Set<bigint>();
  private poked = false;
  private wakeWaiter: (() => void) | undefined;
  private watched: readonly bigint[] = [];
  private onOwnRow: ((event: OwnRowEvent) => void) | undefined;

  constructor(hub: NotificationHub, election: string, own: bigint) {
    this.own = own;
    this.unlisten = hub.listen(election, this);
  }

  /** Forgets what was heard: called just before each `try_lead`. */
  arm(): void {
    this.deleted.clear();
    this.poked = false;
  }

  /** Resolves once `predecessor` or our own row is deleted, `poke()` is called, or after `ms`; rejects when `stop` aborts. */
  waitFor(predecessor: bigint, ms: number, stop: AbortSignal): Promise<void> {
    this.watched = [predecessor, this.own];
    if (this.poked || this.watched.some((token) => this.deleted.has(token))) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const finish = (outcome: () => void): void => {
        clearTimeout(timer);
        stop.removeEventListener('abort', onAbort);
        this.wakeWaiter = undefined;
        outcome();
      };
      const onAbort = (): void => finish(() => reject(toAbortError(stop)));
      const timer = setTimeout(() => finish(resolve), Math.max(0, ms));
      this.wakeWaiter = () => finish(resolve);
      if (stop.aborted) onAbort();
      else stop.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hands every later event about our own row to `handler`, first what was heard since the last `arm()`. */
  lead(handler: (event: OwnRowEvent) => void): void {
    this.onOwnRow = handler;
    if (this.deleted.has(this.own)) handler('D');
    else if (this.poked) handler('check');
  }

  /** Look again: wakes a waiter, or makes a term check its row. */
  readonly poke = (): void => {
    if (this.onOwnRow) {
      this.onOwnRow('check');
      return;
    }
    this.poked = true;
    this.wakeWaiter?.();
  };

  change(op: ChangeOp, token: bigint): void {
    if (this.onOwnRow) {
      if (token === this.own) this.onOwnRow(op);
      return;
    }
    if (op !== 'D') return;
    this.deleted.add(token);
    if (this.watched.includes(token)) this.wakeWaiter?.();
  }

  resync(): void {
    this.poke();
  }

  close(): void {
    this.unlisten();
    this.onOwnRow = undefined;
    this.wakeWaiter?.();
  }
}
