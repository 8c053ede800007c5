import { type Logger, raceAbort, toAbortError } from '@baton/core/adapter';
import { type ElectionKeys, GONE_EVENTS, parseEvent } from './keys.js';
import type { ChannelHub } from './pubsub.js';

/**
 * How a waiting candidate sleeps without spinning: until a 'released' message on the
 * election's channel or a keyspace event saying the key is gone, or until the poll the
 * caller asked for (the key's remaining PTTL, because an expiry publishes nothing and
 * pub/sub is at-most-once). A broken subscription counts as a possible missed release: the
 * candidate retries, then subscribes again.
 *
 * Woken waiters retry at once, all of them: one attempt is a single short script (tens of
 * microseconds of server time), so N waiters cost N scripts per vacancy, which is cheaper
 * than the milliseconds a random spread would add to every handover.
 */
export class Waiter {
  private readonly hub: ChannelHub;
  private readonly keys: ElectionKeys;
  private readonly logger: Logger;
  private unlisten: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private released = false;
  private closed = false;

  constructor(hub: ChannelHub, keys: ElectionKeys, logger: Logger) {
    this.hub = hub;
    this.keys = keys;
    this.logger = logger;
  }

  get listening(): boolean {
    return this.unlisten !== undefined;
  }

  /** Subscribes to the election's channel; false (and the caller polls faster) when that fails. */
  async listen(stop: AbortSignal): Promise<boolean> {
    const pending = this.hub.listenAll([this.keys.channel, this.keys.keyspace], {
      message: (message, channel) => {
        const vacated =
          channel === this.keys.keyspace ? GONE_EVENTS.has(message) : parseEvent(message).event === 'released';
        if (!vacated) return;
        this.released = true;
        this.wake?.();
      },
      broken: () => {
        this.unlisten?.();
        this.unlisten = undefined;
        this.released = true;
        this.wake?.();
      },
    });
    try {
      const unlisten = await raceAbort(pending, stop);
      if (this.closed) unlisten();
      else this.unlisten = unlisten;
      return !this.closed;
    } catch (error) {
      if (stop.aborted) {
        pending.then((unlisten) => unlisten()).catch(() => undefined);
        throw toAbortError(stop);
      }
      this.logger.debug({ channel: this.keys.channel, err: error }, 'could not subscribe; polling instead');
      return false;
    }
  }

  /** Resolves after `ms`, or at a release message; rejects with the abort reason when `stop` aborts. */
  async wait(ms: number, stop: AbortSignal): Promise<void> {
    if (!this.released) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          clearTimeout(timer);
          this.wake = undefined;
          reject(toAbortError(stop));
        };
        const finish = (): void => {
          clearTimeout(timer);
          stop.removeEventListener('abort', onAbort);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(finish, Math.max(0, ms));
        this.wake = finish;
        if (stop.aborted) onAbort();
        else stop.addEventListener('abort', onAbort, { once: true });
      });
    }
    this.released = false;
  }

  close(): void {
    this.closed = true;
    this.unlisten?.();
    this.unlisten = undefined;
    this.wake = undefined;
  }
}
