import diagnostics from 'node:diagnostics_channel';
import type { EndReason } from './errors.js';

/**
 * The `node:diagnostics_channel` names Baton publishes on, one message per event, as undici
 * and node-postgres do for tracing. Subscribe with
 * `diagnostics_channel.subscribe(eventChannels.elected, (message) => ...)`.
 */
export const eventChannels = {
  campaignStarted: 'baton:campaign-started',
  elected: 'baton:elected',
  lost: 'baton:lost',
  resigned: 'baton:resigned',
  renewal: 'baton:renewal',
  renewalFailed: 'baton:renewal-failed',
} as const;

/** What every event carries. `at` is on the monotonic clock (`performance.now()`, ms), as `validUntil` is. */
export interface ElectionEvent {
  readonly election: string;
  /** The candidate's id. */
  readonly id: string;
  /** The backend's kind: 'etcd', 'redis', 'memory'... */
  readonly backend: string;
  readonly at: number;
}

/** `baton:campaign-started`: campaign() was called and its options were valid. */
export type CampaignStartedEvent = ElectionEvent;

/** `baton:elected`: a leadership was handed to its caller. */
export interface ElectedEvent extends ElectionEvent {
  readonly token: bigint;
  /** From campaign() to elected, in ms. */
  readonly campaignMs: number;
  readonly validUntil: number;
}

/** `baton:lost`: a leadership ended for another reason than resign(). */
export interface LostEvent extends ElectionEvent {
  readonly token: bigint;
  readonly reason: Exclude<EndReason, 'resigned'>;
  /** From elected to the end, in ms. */
  readonly termMs: number;
}

/** `baton:resigned`: a leadership ended by resign() (or disposal, or runAsLeader's stop). */
export interface ResignedEvent extends ElectionEvent {
  readonly token: bigint;
  readonly termMs: number;
}

/** `baton:renewal`: the store confirmed the lease a leadership rests on. */
export interface RenewalEvent extends ElectionEvent {
  readonly token: bigint;
  /** The renewal's round trip, in ms. */
  readonly latencyMs: number;
  /** How long the deadline still had to run when the confirmation came, in ms. */
  readonly slackMs: number;
  /** The deadline after the renewal. */
  readonly validUntil: number;
}

/** `baton:renewal-failed`: a renewal of the lease a leadership rests on failed or ran out of time. */
export interface RenewalFailedEvent extends ElectionEvent {
  readonly token: bigint;
  readonly latencyMs: number;
  /** What failed: the error's code and message, never credentials. */
  readonly error: string;
  /** Time left to the deadline, in ms (negative once it passed). */
  readonly remainingMs: number;
}

/** The message each channel carries. */
export interface EventMessages {
  readonly campaignStarted: CampaignStartedEvent;
  readonly elected: ElectedEvent;
  readonly lost: LostEvent;
  readonly resigned: ResignedEvent;
  readonly renewal: RenewalEvent;
  readonly renewalFailed: RenewalFailedEvent;
}

type EventName = keyof EventMessages;

const channels = Object.fromEntries(
  Object.entries(eventChannels).map(([event, name]) => [event, diagnostics.channel(name)]),
) as Record<EventName, diagnostics.Channel>;

/** Whether anyone listens on `event`'s channel: a message nobody reads is not even built. */
export function hasSubscribers(event: EventName): boolean {
  return channels[event].hasSubscribers;
}

/** Publishes one event on its channel. */
export function publish<E extends EventName>(event: E, message: EventMessages[E]): void {
  channels[event].publish(message);
}
