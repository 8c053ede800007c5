import { randomUUID } from 'node:crypto';
import {
  AuthError,
  backoffDelay,
  type CampaignPlan,
  ElectionBase,
  type EndReason,
  handOutTerm,
  type LeaderInfo,
  type LeaderSource,
  type Leadership,
  LeadershipLostError,
  LeadershipTerm,
  monotonicNow,
  type ResolvedCampaign,
  type RetryPolicy,
  raceAbort,
  toAbortError,
  withTimeout,
} from '@baton/core/adapter';
import type { RedisElectionContext } from './context.js';
import { isAuthFailure } from './errors.js';
import { type ElectionKeys, electionKeys, GONE_EVENTS, parseEvent } from './keys.js';
import { parseOwner } from './owner.js';
import { acquireScript, proclaimScript, releaseScript, renewScript } from './scripts.js';
import { Waiter } from './waiter.js';

type AcquireOutcome =
  | { readonly acquired: true; readonly token: string }
  | { readonly acquired: false; readonly pttl: number };

/**
 * An election on Redis: one owner key with a PX ttl, taken by a Lua script that also draws
 * the fencing token. Not FIFO: whoever retries first after a release or an expiry wins.
 */
export class RedisElection extends ElectionBase<RedisElectionContext> {
  readonly keys: ElectionKeys;
  protected readonly retry: RetryPolicy = {
    // A waiter holds no key: a lost connection only delays it. It retries until the store
    // answers again, or its signal or the client's close stops it. Refused credentials end it.
    isTransient: (error) => !isAuthFailure(error),
    toError: (error) =>
      new AuthError(`redis refused the credentials: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      }),
    backoff: (failures) => backoffDelay(failures, 100, 2_000),
  };

  constructor(context: RedisElectionContext, name: string) {
    super(context, name);
    this.keys = electionKeys(context.prefix, name, context.db);
  }

  protected plan({ id, value }: ResolvedCampaign, stop: AbortSignal): CampaignPlan {
    const { hub, logger } = this.context;
    // Marks this campaign's key, so that an attempt whose reply was lost can be recognised.
    const nonce = randomUUID();
    const waiter = new Waiter(hub, this.keys, logger);
    // An attempt whose reply we never saw may have taken the key.
    let uncertain = false;
    return {
      attempt: async () => {
        const sentAt = monotonicNow();
        // Whether this client already receives the election's events: then the keyspace
        // events of the key's previous life can still arrive after our acquisition.
        const subscribedBefore = hub.isSubscribed(this.keys.channel) && hub.isSubscribed(this.keys.keyspace);
        let outcome: AcquireOutcome;
        try {
          outcome = await this.acquire(id, value, nonce, stop);
          uncertain = false;
        } catch (error) {
          if (!stop.aborted) uncertain = true;
          throw error;
        }
        if (outcome.acquired) return this.takeOver(id, outcome.token, sentAt, subscribedBefore, stop);
        // Subscribe only once the election is seen taken (uncontended campaigns cost one
        // round trip), then try once more at once, so that a release between the attempt
        // and the subscription is not missed.
        if (!waiter.listening && (await waiter.listen(stop))) return undefined;
        await waiter.wait(this.pollDelay(outcome.pttl, waiter.listening), stop);
        return undefined;
      },
      settle: (failure) => {
        waiter.close();
        if (failure !== undefined && uncertain) this.releaseQuietly(nonce, 'nonce');
      },
    };
  }

  protected async readLeader(signal: AbortSignal): Promise<LeaderInfo | undefined> {
    const { client, requestTimeoutMs } = this.context;
    const raw = await withTimeout(
      'reading the leader',
      requestTimeoutMs,
      () => client.call('GET', this.keys.owner),
      signal,
    );
    return parseOwner(raw);
  }

  protected leaderSource(): LeaderSource {
    const { hub, ttlMs } = this.context;
    return {
      read: (signal) => this.readLeader(signal),
      subscribe: (changed, broken) =>
        hub.listenAll([this.keys.channel, this.keys.keyspace], {
          // A renewal's PEXPIRE changes nothing an observer sees.
          message: (message) => {
            if (message !== 'expire') changed();
          },
          broken,
        }),
      // An expiry publishes nothing and a message can be lost: re-read this often regardless.
      pollEveryMs: Math.max(100, ttlMs / 3),
    };
  }

  /**
   * The key is ours, as the acquire script's reply says. A reply later than the key's own
   * deadline, or after the caller gave up, is not a leadership: the key goes back at once. An
   * acquisition that took most of a ttl leaves the key little time: it is renewed first rather
   * than handed out on a leadership that could run out before its first renewal.
   */
  private async takeOver(
    id: string,
    token: string,
    sentAt: number,
    subscribedBefore: boolean,
    stop: AbortSignal,
  ): Promise<Leadership | undefined> {
    const { renewals, ttlMs } = this.context;
    let heldFrom: number | undefined = sentAt;
    if (!stop.aborted && monotonicNow() < renewals.acquisitionDeadline(sentAt)) {
      if (renewals.acquisitionDeadline(sentAt) - monotonicNow() < ttlMs / 2) {
        heldFrom = await this.renewAcquired(token, stop);
      }
    } else {
      heldFrom = undefined;
    }
    if (heldFrom === undefined || stop.aborted) {
      this.releaseQuietly(token, 'token');
      if (stop.aborted) throw toAbortError(stop);
      return undefined;
    }
    return this.startTerm(id, token, heldFrom, subscribedBefore, stop);
  }

  private async acquire(
    id: string,
    value: string | undefined,
    nonce: string,
    stop: AbortSignal,
  ): Promise<AcquireOutcome> {
    const { client, requestTimeoutMs, ttlMs } = this.context;
    const reply = await withTimeout(
      'acquire',
      requestTimeoutMs,
      () =>
        acquireScript.run(
          client,
          [this.keys.owner, this.keys.counter],
          [id, nonce, ttlMs, this.keys.channel, value === undefined ? '0' : '1', value ?? ''],
        ),
      stop,
    );
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`unexpected acquire reply: ${String(reply)}`);
    const [taken, detail] = reply as [unknown, unknown];
    if (Number(taken) === 1) {
      const token = String(detail);
      if (!/^[1-9]\d*$/.test(token)) throw new Error(`unexpected token in acquire reply: ${token}`);
      return { acquired: true, token };
    }
    return { acquired: false, pttl: Number(detail) };
  }

  /**
   * Restarts the ttl of a key just acquired; resolves with the send time of that renewal, or
   * undefined when the key is no longer ours or the store did not answer in time.
   */
  private async renewAcquired(token: string, stop: AbortSignal): Promise<number | undefined> {
    const { client, requestTimeoutMs, ttlMs } = this.context;
    const sentAt = monotonicNow();
    try {
      const reply = await withTimeout(
        'renewing a new leader key',
        requestTimeoutMs,
        () => renewScript.run(client, [this.keys.owner], [ttlMs, token]),
        stop,
      );
      return Array.isArray(reply) && Number(reply[0]) === 1 ? sentAt : undefined;
    } catch (error) {
      this.context.logger.debug({ election: this.name, err: error }, 'could not renew a new leader key');
      return undefined;
    }
  }

  /** How long a waiter sleeps before its next attempt when no message wakes it. */
  private pollDelay(pttl: number, listening: boolean): number {
    const { ttlMs } = this.context;
    // -1: a key without expiry (a foreign writer); -2: gone since the script ran.
    let delay = pttl === -2 ? 0 : pttl < 0 ? ttlMs : Math.min(pttl, ttlMs);
    // Without a subscription a release reaches nobody: poll faster.
    if (!listening) delay = Math.min(delay, Math.max(50, ttlMs / 4));
    return delay + Math.random() * Math.min(100, ttlMs / 10);
  }

  private startTerm(
    id: string,
    token: string,
    sentAt: number,
    subscribedBefore: boolean,
    stop: AbortSignal,
  ): Promise<LeadershipTerm> {
    const { client, scope, logger, renewals, requestTimeoutMs } = this.context;
    const { owner, channel } = this.keys;
    const membership = renewals.reserve(this.keys, token, sentAt);
    const term = new LeadershipTerm({
      election: this.name,
      validUntil: () => membership.validUntil(),
      id,
      token: BigInt(token),
      logger,
      requestTimeoutMs,
      actions: {
        proclaim: async (value, signal) => {
          const reply = await raceAbort(proclaimScript.run(client, [owner], [token, value, channel]), signal);
          if (Number(reply) !== 1) throw new LeadershipLostError('deposed', 'the leader key is no longer ours');
        },
        release: async (signal) => {
          await raceAbort(releaseScript.run(client, [owner], [token, channel, 'token']), signal);
        },
      },
    });
    const lease = renewals.join(membership, term);
    this.watchForSuccessor(term, subscribedBefore);
    return handOutTerm(term, { scope, stop, ...(lease ? { lease } : {}) });
  }

  /**
   * Ends the term as soon as the store says the key is gone or taken: a keyspace event
   * (del, expired, evicted, set), or a message of a later term on the channel: a key can
   * only be acquired (or released by its owner) with a greater token once ours is gone.
   * Best effort: the next renewal finds a missing or foreign key anyway.
   *
   * Keyspace events carry no token, so one from the key's previous life (the predecessor's
   * release or expiry, still in flight on the subscriber connection) must not end this term.
   * Such events can only arrive when this client was subscribed before the acquisition;
   * then they all precede our own 'acquired:<token>' on that ordered connection, and events
   * are trusted once it has passed. Until then, and when it cannot be known (a subscription
   * confirmed while the acquisition was in flight), an event is checked with a read. A 'set'
   * is always checked: our own proclaim sets the key too.
   */
  private watchForSuccessor(term: LeadershipTerm, subscribedBefore: boolean): void {
    const { hub, logger } = this.context;
    let unlisten: (() => void) | undefined;
    let ended = false;
    let trusted = false;
    term.onEnd(() => {
      ended = true;
      unlisten?.();
    });
    const reasonOf = (event: string): EndReason => (event === 'expired' ? 'expired' : 'deposed');
    const verify = (event: string): void => {
      this.readLeader(this.context.scope.signal).then(
        (leader) => {
          if (leader?.token !== term.token) {
            term.end(reasonOf(event), new Error(`the leader key is gone or taken (${event})`));
          }
        },
        (error: unknown) => logger.debug({ election: this.name, err: error }, 'ownership check failed'),
      );
    };
    const onKeyspace = (event: string): void => {
      if (trusted && GONE_EVENTS.has(event))
        term.end(reasonOf(event), new Error(`the leader key was removed (${event})`));
      else if (GONE_EVENTS.has(event) || event === 'set') verify(event);
    };
    const listen = (fresh: boolean, recheck: boolean): void => {
      if (ended) return;
      // A subscription made now, after the acquisition, cannot see the key's previous life.
      if (fresh && !hub.isSubscribed(this.keys.channel) && !hub.isSubscribed(this.keys.keyspace)) trusted = true;
      hub
        .listenAll([this.keys.channel, this.keys.keyspace], {
          message: (message, channel) => {
            if (channel === this.keys.keyspace) {
              onKeyspace(message);
              return;
            }
            const { event, token } = parseEvent(message);
            if (event === 'acquired' && token === term.token && subscribedBefore) trusted = true;
            if (token !== undefined && token > term.token) {
              term.end('deposed', new Error(`the channel reports a later term (token ${token})`));
            }
          },
          broken: () => {
            unlisten?.();
            unlisten = undefined;
            setTimeout(() => listen(true, true), 100).unref();
          },
        })
        .then(
          (stop) => {
            if (ended) {
              stop();
              return;
            }
            unlisten = stop;
            // Whatever the channel said while we were not subscribed is lost (a restarted
            // server forgot our key and published a successor's acquisition meanwhile): look.
            if (recheck) verify('resubscribed');
          },
          (error: unknown) => logger.debug({ election: this.name, err: error }, 'leader could not subscribe'),
        );
    };
    listen(!subscribedBefore, false);
  }

  /** Deletes the key if `field` still says it is ours; best effort, the ttl removes it otherwise. */
  private releaseQuietly(expected: string, field: 'token' | 'nonce'): void {
    const { client, requestTimeoutMs, logger, cleanup } = this.context;
    cleanup(
      withTimeout('release', requestTimeoutMs, (signal) =>
        raceAbort(releaseScript.run(client, [this.keys.owner], [expected, this.keys.channel, field]), signal),
      ).then(
        () => undefined,
        (error: unknown) => {
          logger.debug({ election: this.name, err: error }, 'release failed; the key expires after its ttl');
        },
      ),
    );
  }
}
