import { BackendUnavailableError, toAbortError } from '@baton/core/adapter';
import type { Etcd3, IKeyValue, WatchBuilder, Watcher } from 'etcd3';

export interface WatchEvents {
  onPut?(kv: IKeyValue): void;
  onDelete?(kv: IKeyValue): void;
  /** The client's watch stream broke; the etcd3 client will re-establish it (see onReconnected). */
  onDisconnected?(error: unknown): void;
  /** The etcd3 client re-established the watch after a broken stream (it resumes from its last revision). */
  onReconnected?(): void;
  /** The server cancelled the watch (compaction, permission): no more events will come. */
  onBroken(error: unknown): void;
}

/** Stops a watch; idempotent. */
export type StopWatch = () => void;

/**
 * Every watch one backend opens, so that close() can cancel them all before it closes
 * the client: a watch stream left open would keep the process alive.
 */
export class WatchRegistry {
  private readonly client: Etcd3;
  /** Open watches, each with the function that stops it. */
  private readonly live = new Map<Watcher, StopWatch>();
  private readonly cancelling = new Set<Promise<void>>();

  constructor(client: Etcd3) {
    this.client = client;
  }

  /**
   * Opens a watch and resolves once etcd has created it, so that no event after that
   * point is missed (with `startRevision`, none after that revision either).
   */
  async open(
    configure: (builder: WatchBuilder) => WatchBuilder,
    events: WatchEvents,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<StopWatch> {
    if (signal.aborted) throw toAbortError(signal);
    const watcher = configure(this.client.watch()).watcher();
    let created = false;
    let dead = false;
    let stopped = false;
    const stop: StopWatch = () => {
      if (stopped) return;
      stopped = true;
      this.live.delete(watcher);
      this.cancel(watcher, dead);
    };
    this.live.set(watcher, stop);
    return new Promise<StopWatch>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const fail = (error: unknown): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        stop();
        reject(error);
      };
      const onAbort = (): void => fail(toAbortError(signal));
      timer = setTimeout(
        () => fail(new BackendUnavailableError(`etcd did not create a watch within ${timeoutMs} ms`)),
        timeoutMs,
      );
      signal.addEventListener('abort', onAbort, { once: true });
      watcher.on('connected', () => {
        if (stopped) return;
        if (!created) {
          created = true;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(stop);
          return;
        }
        events.onReconnected?.();
      });
      // Always listened to: an EventEmitter 'error' without a listener would throw.
      watcher.on('error', (error: unknown) => {
        dead = true;
        this.live.delete(watcher);
        if (stopped) return;
        if (!created) {
          fail(error);
          return;
        }
        events.onBroken(error);
      });
      watcher.on('disconnected', (error: unknown) => {
        if (!stopped && created) events.onDisconnected?.(error);
      });
      watcher.on('put', (kv: IKeyValue) => {
        if (!stopped) events.onPut?.(kv);
      });
      watcher.on('delete', (kv: IKeyValue) => {
        if (!stopped) events.onDelete?.(kv);
      });
    });
  }

  /**
   * Cancels every live watch and waits (bounded) for etcd to confirm, so that the etcd3
   * client closes its watch stream. Returns false if etcd did not confirm in time.
   */
  async closeAll(timeoutMs: number): Promise<boolean> {
    for (const stop of [...this.live.values()]) stop();
    const pending = [...this.cancelling];
    if (pending.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const confirmed = await Promise.race([
      Promise.allSettled(pending).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return confirmed;
  }

  /**
   * Drops the client's watch stream. For a client we are about to close whose server did not
   * confirm our cancels (it hangs): a gRPC stream outlives its channel's close() and would
   * keep the process alive. The etcd3 client then forgets the watches it was closing. It
   * reaches into etcd3 1.x internals, defensively: if they changed, it does nothing.
   */
  dropStream(): void {
    const internals = this.client as unknown as { watchManager?: { stream?: { cancel?: () => void } } };
    try {
      internals.watchManager?.stream?.cancel?.();
    } catch {
      // Nothing to drop.
    }
  }

  private cancel(watcher: Watcher, dead: boolean): void {
    // A watch the server already cancelled is gone from the etcd3 manager; cancelling it
    // again would wait for an answer that never comes.
    if (dead) return;
    const pending = watcher.cancel().catch(() => undefined);
    this.cancelling.add(pending);
    void pending.finally(() => this.cancelling.delete(pending));
  }
}
