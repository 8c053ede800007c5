import diagnostics from 'node:diagnostics_channel';
import { eventChannels } from '@baton/core';

/** One message Baton published, with the channel it came on and its arrival order. */
export interface RecordedEvent {
  readonly channel: string;
  readonly message: Readonly<Record<string, unknown>>;
}

/** Subscribes to every Baton channel and keeps what arrives, in order, until `close()`. */
export class EventRecorder {
  readonly events: RecordedEvent[] = [];
  private readonly subscriptions: [string, (message: unknown) => void][] = [];

  constructor() {
    for (const channel of Object.values(eventChannels)) {
      const listener = (message: unknown): void => {
        this.events.push({ channel, message: message as Record<string, unknown> });
      };
      diagnostics.subscribe(channel, listener);
      this.subscriptions.push([channel, listener]);
    }
  }

  /** The events of one election, optionally of one candidate id. */
  of(election: string, id?: string): RecordedEvent[] {
    return this.events.filter(
      (event) => event.message.election === election && (id === undefined || event.message.id === id),
    );
  }

  close(): void {
    for (const [channel, listener] of this.subscriptions) diagnostics.unsubscribe(channel, listener);
    this.subscriptions.length = 0;
  }
}
