import { type Logger, withTimeout } from '@baton/core/adapter';
import type { Cluster, Redis } from 'ioredis';

export interface ChannelListener {
  message(message: string, channel: string): void;
  /** The subscriber connection dropped: messages may have been missed; listen again and re-read. */
  broken(error: unknown): void;
}

interface ChannelEntry {
  readonly listeners: Set<ChannelListener>;
  subscribed: Promise<void> | undefined;
  /** The server confirmed the subscription on the current connection. */
  confirmed: boolean;
}

/**
 * All of one client's pub/sub on one dedicated subscriber connection: one SUBSCRIBE per
 * election however many waiters and observers listen to it. ioredis's automatic
 * resubscription is off: after a reconnect every listener is told its channel broke, and
 * subscribes again through here, so that it also re-reads what it may have missed
 * (pub/sub is at-most-once).
 */
export class ChannelHub {
  private readonly subscriber: Redis | Cluster;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly channels = new Map<string, ChannelEntry>();
  private closed = false;

  constructor(subscriber: Redis | Cluster, timeoutMs: number, logger: Logger) {
    this.subscriber = subscriber;
    this.timeoutMs = timeoutMs;
    this.logger = logger;
    subscriber.on('message', this.onMessage);
    subscriber.on('close', this.onClose);
  }

  /** Subscribes `listener` to `channel`; resolves once the server confirmed the subscription. Returns an unsubscribe. */
  async listen(channel: string, listener: ChannelListener): Promise<() => void> {
    if (this.closed) throw new Error('the subscriber is closed');
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { listeners: new Set(), subscribed: undefined, confirmed: false };
      this.channels.set(channel, entry);
    }
    entry.listeners.add(listener);
    const current = entry;
    const remove = (): void => {
      if (!current.listeners.delete(listener) || current.listeners.size > 0) return;
      if (this.channels.get(channel) === current) this.channels.delete(channel);
      if (current.subscribed && !this.closed) {
        this.subscriber.unsubscribe(channel).catch((error: unknown) => {
          // The connection is gone; its successor starts without subscriptions.
          this.logger.debug({ channel, err: error }, 'unsubscribe failed');
        });
      }
    };
    if (!current.subscribed) {
      const subscribing = withTimeout('subscribe', this.timeoutMs, async () => {
        await this.subscriber.subscribe(channel);
      });
      current.subscribed = subscribing;
      subscribing.then(
        () => {
          if (current.subscribed === subscribing) current.confirmed = true;
        },
        () => {
          if (current.subscribed === subscribing) current.subscribed = undefined;
        },
      );
    }
    try {
      await current.subscribed;
    } catch (error) {
      remove();
      throw error;
    }
    return remove;
  }

  /** True when messages on `channel` are being received now (the server confirmed the subscription). */
  isSubscribed(channel: string): boolean {
    return this.channels.get(channel)?.confirmed === true;
  }

  /** Listens to several channels as one: all subscribed, or none. */
  async listenAll(channels: readonly string[], listener: ChannelListener): Promise<() => void> {
    const results = await Promise.allSettled(channels.map((channel) => this.listen(channel, listener)));
    const stops = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const stopAll = (): void => {
      for (const stop of stops) stop();
    };
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) {
      stopAll();
      throw failed.reason;
    }
    return stopAll;
  }

  close(): void {
    this.closed = true;
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('close', this.onClose);
    this.channels.clear();
  }

  private readonly onMessage = (channel: string, message: string): void => {
    const entry = this.channels.get(channel);
    if (!entry) return;
    for (const listener of [...entry.listeners]) listener.message(message, channel);
  };

  private readonly onClose = (): void => {
    if (this.closed) return;
    const error = new Error('the pub/sub connection closed');
    const entries = [...this.channels.values()];
    for (const entry of entries) {
      entry.subscribed = undefined;
      entry.confirmed = false;
    }
    for (const entry of entries) for (const listener of [...entry.listeners]) listener.broken(error);
  };
}
