import type { IncomingMessage } from 'node:http';
import { backoffDelay, type Logger, monotonicNow, sleep } from '@baton/core/adapter';
import type { V1Lease } from '@kubernetes/client-node';
import { ApiStatusError, readStatus } from './errors.js';
import type { LeaseApi } from './lease-api.js';

/** A change the watch saw: the Lease added or modified, or deleted (the object as it was). */
export interface LeaseChange {
  readonly lease: V1Lease;
  readonly deleted: boolean;
}

/** Told of every event on one Lease name. */
export interface LeaseWatcher {
  /** The Lease changed; without a change, it may have changed unseen (the watch started afresh): re-read. */
  changed(change?: LeaseChange): void;
  /** The stream broke: events may be missed until it is back; re-read. */
  broken(error: unknown): void;
}

/** The server ends a watch after this long (plus up to as much again, spread); it is then resumed. */
const WATCH_SECONDS = 60;
/** A watch silent this long past its own timeout is taken for a dead connection. */
const SILENCE_SLACK_MS = 15_000;

interface WatchEvent {
  readonly type?: string;
  readonly object?: V1Lease & { code?: number };
}

/**
 * One watch per client on all the Leases of its namespace, shared by every waiter and observer
 * of the client and dispatched by name: hundreds of elections cost one connection. It runs
 * while anyone listens, resumes from the last resourceVersion after the server ends it, and
 * otherwise starts at the resourceVersion of a fresh list and tells everyone to re-read, since
 * what changed before that list is not replayed. After a failure it waits (backing off) before
 * connecting again, however often listeners come and go meanwhile.
 */
export class LeaseWatch {
  private readonly api: LeaseApi;
  private readonly logger: Logger;
  private readonly watchers = new Map<string, Set<LeaseWatcher>>();
  private running: AbortController | undefined;
  private closed = false;
  private failures = 0;
  /** Monotonic time before which no new connection is made, after a failure. */
  private retryAt = 0;

  constructor(api: LeaseApi, logger: Logger) {
    this.api = api;
    this.logger = logger;
  }

  /** Listens to the Lease `name` until the returned function is called. */
  subscribe(name: string, watcher: LeaseWatcher): () => void {
    let set = this.watchers.get(name);
    if (!set) {
      set = new Set();
      this.watchers.set(name, set);
    }
    set.add(watcher);
    this.start();
    return () => {
      const current = this.watchers.get(name);
      if (!current?.delete(watcher)) return;
      if (current.size === 0) this.watchers.delete(name);
      if (this.watchers.size === 0) this.running?.abort();
    };
  }

  close(): void {
    this.closed = true;
    this.watchers.clear();
    this.running?.abort();
  }

  private start(): void {
    if (this.closed || this.running || this.watchers.size === 0) return;
    const controller = new AbortController();
    this.running = controller;
    void this.run(controller.signal)
      .catch((error: unknown) => this.logger.error({ err: error }, 'lease watch failed'))
      .finally(() => {
        if (this.running === controller) this.running = undefined;
        // Someone subscribed while this loop was ending.
        this.start();
      });
  }

  private async run(signal: AbortSignal): Promise<void> {
    let version: string | undefined;
    while (!signal.aborted && this.watchers.size > 0) {
      try {
        await sleep(this.retryAt - monotonicNow(), signal);
        if (version === undefined) {
          version = await this.api.listVersion(signal);
          this.resyncAll();
        }
        const startedAt = monotonicNow();
        const outcome = await this.stream(version, signal, (seen) => {
          version = seen;
        });
        // A server that ends every watch at once is not hammered either.
        if (monotonicNow() - startedAt < 1_000)
          this.retryAt = monotonicNow() + backoffDelay(this.failures++, 100, 2_000);
        else this.failures = 0;
        // The server no longer has the events since `version`: start from a new list.
        if (outcome === 'too-old') version = undefined;
      } catch (error) {
        if (signal.aborted) return;
        this.logger.warn({ err: error }, 'lease watch broke; re-reading and watching again');
        this.retryAt = monotonicNow() + backoffDelay(this.failures++, 100, 2_000);
        this.brokenAll(error);
      }
    }
  }

  /** One watch request, until the server ends it ('ended') or says `version` is too old ('too-old'). */
  private async stream(
    version: string | undefined,
    stop: AbortSignal,
    progress: (version: string) => void,
  ): Promise<'ended' | 'too-old'> {
    const seconds = WATCH_SECONDS + Math.floor(Math.random() * WATCH_SECONDS);
    const controller = new AbortController();
    const onStop = (): void => controller.abort(stop.reason);
    stop.addEventListener('abort', onStop, { once: true });
    let silence: NodeJS.Timeout | undefined;
    const heard = (): void => {
      clearTimeout(silence);
      silence = setTimeout(
        () => controller.abort(new Error(`the lease watch was silent for ${seconds} s past its timeout`)),
        seconds * 1_000 + SILENCE_SLACK_MS,
      );
    };
    try {
      heard();
      const query: Record<string, string> = {
        allowWatchBookmarks: 'true',
        timeoutSeconds: String(seconds),
        ...(version === undefined ? {} : { resourceVersion: version }),
      };
      const response = await this.api.watch(query, controller.signal);
      return await this.readEvents(response, (event) => {
        heard();
        return this.dispatch(event, progress);
      });
    } finally {
      clearTimeout(silence);
      stop.removeEventListener('abort', onStop);
    }
  }

  private readEvents(
    response: IncomingMessage,
    onEvent: (event: WatchEvent) => 'too-old' | undefined,
  ): Promise<'ended' | 'too-old'> {
    return new Promise((resolve, reject) => {
      let tail = '';
      let settled = false;
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        settle();
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (settled) return;
        tail += chunk;
        const lines = tail.split('\n');
        tail = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          let event: WatchEvent;
          try {
            event = JSON.parse(line) as WatchEvent;
          } catch (error) {
            response.destroy();
            finish(() => reject(error));
            return;
          }
          try {
            if (onEvent(event) === 'too-old') {
              response.destroy();
              finish(() => resolve('too-old'));
              return;
            }
          } catch (error) {
            response.destroy();
            finish(() => reject(error));
            return;
          }
        }
      });
      response.on('end', () => finish(() => resolve('ended')));
      response.on('error', (error) => finish(() => reject(error)));
      response.on('close', () => finish(() => reject(new Error('the lease watch connection closed'))));
    });
  }

  private dispatch(event: WatchEvent, progress: (version: string) => void): 'too-old' | undefined {
    const object = event.object;
    if (event.type === 'ERROR') {
      const status = object?.code ?? 0;
      if (status === 410) return 'too-old';
      throw new ApiStatusError('watching Leases', readStatus(status, object));
    }
    const version = object?.metadata?.resourceVersion;
    if (version) progress(version);
    if (event.type === 'BOOKMARK' || !object) return undefined;
    const name = object.metadata?.name;
    const watchers = name === undefined ? undefined : this.watchers.get(name);
    if (!watchers) return undefined;
    const change: LeaseChange = { lease: object, deleted: event.type === 'DELETED' };
    for (const watcher of [...watchers]) watcher.changed(change);
    return undefined;
  }

  private resyncAll(): void {
    for (const set of [...this.watchers.values()]) {
      for (const watcher of [...set]) watcher.changed();
    }
  }

  private brokenAll(error: unknown): void {
    for (const set of [...this.watchers.values()]) {
      for (const watcher of [...set]) watcher.broken(error);
    }
  }
}
