import { backoffDelay, sleep } from './abort.js';
import type { Election } from './election.js';
import { type EndReason, InvalidArgumentError, isBatonError } from './errors.js';
import type { Leadership } from './leadership.js';
import { type Logger, silentLogger } from './logger.js';
import { assertKnownKeys } from './option-keys.js';
import { validateSignal } from './validation.js';

export interface RunAsLeaderOptions {
  /**
   * Stops the loop: a pending campaign is withdrawn, a running term is resigned.
   * @default none: the loop runs until the task returns or throws, or the backend closes
   */
  readonly signal?: AbortSignal;
  /**
   * The candidate's id in every campaign.
   * @default a random UUID per campaign
   */
  readonly id?: string;
  /**
   * The candidate's value in every campaign.
   * @default no value
   */
  readonly value?: string;
  /** Called with each new leadership, before `task` runs. */
  readonly onElected?: (leadership: Leadership) => void;
  /** Called when a leadership ends other than by the loop's own resignation. */
  readonly onLost?: (reason: EndReason, leadership: Leadership) => void;
  /**
   * Where retries and losses are logged.
   * @default a logger that drops everything
   */
  readonly logger?: Logger;
}

const RUN_AS_LEADER_OPTION_KEYS: readonly string[] = [
  'signal',
  'id',
  'value',
  'onElected',
  'onLost',
  'logger',
] satisfies readonly (keyof RunAsLeaderOptions)[];

/**
 * Campaigns, runs `task` while leader, and campaigns again after a loss, until
 * `options.signal` aborts (then it resolves). `task` gets the leadership and must stop
 * acting when `leadership.signal` aborts; the next term starts only after `task` has
 * settled, so one process never runs two terms at once.
 *
 * If `task` returns while still leader, the term is resigned and runAsLeader resolves:
 * the work is done. If it throws while still leader, the term is resigned and the error
 * is rethrown. A failed campaign (store unreachable) is retried with backoff.
 *
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for bad options or task, at once.
 * @throws ClosedError (ERR_CLOSED) when the backend closes; the loop does not retry it.
 * @throws whatever `task` throws while still leader, after resigning the term.
 */
export async function runAsLeader(
  election: Election,
  task: (leadership: Leadership) => Promise<void>,
  options: RunAsLeaderOptions = {},
): Promise<void> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options must be an object');
  assertKnownKeys('runAsLeader()', options, RUN_AS_LEADER_OPTION_KEYS);
  if (typeof task !== 'function') throw new InvalidArgumentError('task must be a function');
  const stop = validateSignal(options.signal);
  const logger = options.logger ?? silentLogger;
  let failures = 0;
  while (!stop?.aborted) {
    let leadership: Leadership;
    try {
      leadership = await election.campaign({
        ...(options.id === undefined ? {} : { id: options.id }),
        ...(options.value === undefined ? {} : { value: options.value }),
        ...(stop === undefined ? {} : { signal: stop }),
      });
      failures = 0;
    } catch (error) {
      if (stop?.aborted) return;
      if (isBatonError(error, 'ERR_CLOSED') || isBatonError(error, 'ERR_INVALID_ARGUMENT')) throw error;
      logger.warn({ election: election.name, err: error }, 'campaign failed; retrying');
      await sleep(backoffDelay(failures++, 200, 5_000), stop).catch(() => undefined);
      continue;
    }
    options.onElected?.(leadership);
    const onStop = (): void => void leadership.resign();
    stop?.addEventListener('abort', onStop, { once: true });
    let failure: { error: unknown } | undefined;
    try {
      await task(leadership);
    } catch (error) {
      failure = { error };
    } finally {
      stop?.removeEventListener('abort', onStop);
    }
    const stillLeader = leadership.isLeader;
    if (stillLeader || stop?.aborted) await leadership.resign();
    const reason = await leadership.ended;
    if (!stillLeader) options.onLost?.(reason, leadership);
    if (stop?.aborted) return;
    if (stillLeader) {
      if (failure) throw failure.error;
      return;
    }
    if (failure) {
      logger.debug({ election: election.name, err: failure.error }, 'task ended after leadership was lost');
    }
  }
}
