import {
  AuthError,
  BackendUnavailableError,
  backoffDelay,
  type CampaignPlan,
  ElectionBase,
  handOutTerm,
  InvalidArgumentError,
  jitter,
  type LeaderInfo,
  type LeaderSource,
  LeadershipLostError,
  LeadershipTerm,
  type LeaseGrant,
  leaseReadyForTerm,
  type ResolvedCampaign,
  type RetryPolicy,
  raceAbort,
  sleep,
  throwIfAborted,
  withTimeout,
} from '@baton/core/adapter';
import type { TxnOutcome } from './api.js';
import type { ConsulElectionContext } from './context.js';
import { encodeRecord, isHeldBy, leaderKey, leaderOf } from './keys.js';

/** How long a waiter sleeps, jittered, when the key is free but still under a lock-delay. */
const LOCK_DELAY_RETRY_MS = 500;
/**
 * Waiters woken by one release wait HERD_FLOOR_MS plus up to HERD_JITTER_MS before trying,
 * so that they do not all hit the servers at once. The floor also gives a leader whose key
 * was deleted from outside the time to hear of it (its own watch woke at the same instant)
 * before a successor can be elected.
 */
const HERD_FLOOR_MS = 20;
const HERD_JITTER_MS = 50;

type AcquireOutcome =
  | { readonly kind: 'acquired'; readonly token: bigint }
  | { readonly kind: 'held' }
  | { readonly kind: 'lock-delay' }
  | { readonly kind: 'session-invalid' };

/**
 * An election on Consul: one key, locked by the leader's session. Candidates take it with
 * a KV lock (what `PUT ?acquire=` does) inside a transaction, whose answer carries the raft
 * index of the acquiring write: the fencing token. Waiters hold nothing; they long-poll the
 * key and try again, jittered, when it is free.
 */
export class ConsulElection extends ElectionBase<ConsulElectionContext> {
  protected readonly retry: RetryPolicy = {
    // The agent or its cluster is briefly unavailable (no leader, a restart): keep campaigning.
    isTransient: (error) => error instanceof BackendUnavailableError,
    backoff: (failures) => backoffDelay(failures, 200, 2_000),
  };
  private readonly key: string;

  constructor(context: ConsulElectionContext, name: string) {
    super(context, name);
    this.key = leaderKey(context.prefix, name);
  }

  protected plan({ id, value }: ResolvedCampaign, stop: AbortSignal): CampaignPlan {
    const { session } = this.context;
    const record = encodeRecord(id, value);
    return {
      attempt: async () => {
        const grant = await session.current(stop);
        const outcome = await this.acquire(grant, record, stop);
        if (outcome.kind === 'acquired') return this.confirm(grant, id, outcome.token, stop);
        if (outcome.kind === 'session-invalid') {
          // The store ended our session before our lease noticed: start over on a fresh one.
          grant.lease.lose('expired');
        } else if (outcome.kind === 'lock-delay') {
          await sleep(jitter(LOCK_DELAY_RETRY_MS), stop);
        } else {
          await this.waitForVacancy(grant, stop);
        }
        return undefined;
      },
    };
  }

  /** A consistent read: the leader answers only after confirming with a quorum that it still leads. */
  protected readLeader(signal: AbortSignal): Promise<LeaderInfo | undefined> {
    const { api, requestTimeoutMs } = this.context;
    return withTimeout(
      'reading the leader',
      requestTimeoutMs,
      async (bounded) => leaderOf((await api.getKey(this.key, { consistent: true }, bounded, requestTimeoutMs)).entry),
      signal,
    );
  }

  protected leaderSource(): LeaderSource {
    return {
      read: (signal) => this.readLeader(signal),
      subscribe: (changed, broken) => this.watchKey(changed, broken),
    };
  }

  /**
   * Long-polls the key; `changed` after each answer with a new index. Resolves only once the
   * first read has fixed the index to wait from, so that observeLeader's read, which follows,
   * cannot miss a change made in between.
   */
  private async watchKey(changed: () => void, broken: (error: unknown) => void): Promise<() => void> {
    const { api, watchWaitMs, requestTimeoutMs } = this.context;
    const controller = new AbortController();
    const first = await api.getKey(this.key, {}, controller.signal, requestTimeoutMs);
    const loop = async (): Promise<void> => {
      let index = first.index > 0n ? first.index : 1n;
      while (!controller.signal.aborted) {
        const next = await api.getKey(
          this.key,
          { index, waitMs: watchWaitMs },
          controller.signal,
          watchWaitMs + watchWaitMs / 16 + requestTimeoutMs,
        );
        if (next.index !== index) changed();
        index = next.index > 0n ? next.index : 1n;
      }
    };
    loop().catch((error: unknown) => {
      if (!controller.signal.aborted) broken(error);
    });
    return () => controller.abort();
  }

  /**
   * One lock attempt. Not cut short by `stop`: a lock that lands after the caller gave up is
   * released at once, so that an aborted campaign leaves nothing behind.
   */
  private async acquire(grant: LeaseGrant<string>, record: string, stop: AbortSignal): Promise<AcquireOutcome> {
    const { api, requestTimeoutMs } = this.context;
    const pending = withTimeout('acquiring the leader key', requestTimeoutMs, (signal) =>
      api.txn(
        [{ Verb: 'lock', Key: this.key, Value: Buffer.from(record).toString('base64'), Flags: 0, Session: grant.id }],
        signal,
        requestTimeoutMs,
      ),
    ).then((outcome) => this.acquireOutcome(outcome));
    try {
      return await raceAbort(pending, stop);
    } catch (error) {
      if (stop.aborted) {
        pending
          .then((late) => (late.kind === 'acquired' ? this.releaseIfHeld(grant.id, late.token) : undefined))
          .catch(() => undefined);
      }
      throw error;
    }
  }

  private acquireOutcome(outcome: TxnOutcome): AcquireOutcome {
    if (outcome.ok) {
      const index = outcome.results[0]?.ModifyIndex;
      if (!index) throw new BackendUnavailableError('consul acquired the key but returned no index');
      return { kind: 'acquired', token: BigInt(index) };
    }
    const what = outcome.errors.join('; ');
    if (/lock delay/i.test(what)) return { kind: 'lock-delay' };
    if (/invalid session|missing session/i.test(what)) return { kind: 'session-invalid' };
    if (/already held/i.test(what)) return { kind: 'held' };
    if (/permission denied|ACL/i.test(what)) throw new AuthError(`consul refused the lock: ${what}`);
    if (/too large|invalid/i.test(what)) throw new InvalidArgumentError(`consul refused the lock: ${what}`);
    throw new BackendUnavailableError(`consul refused the lock: ${what}`);
  }

  /**
   * After winning: re-read the key consistently and make sure it still carries our session
   * and token, on a lease that is still valid, before resolving. Anything else re-queues.
   */
  private async confirm(
    grant: LeaseGrant<string>,
    id: string,
    token: bigint,
    stop: AbortSignal,
  ): Promise<LeadershipTerm | undefined> {
    const { api, requestTimeoutMs } = this.context;
    const pending = withTimeout('confirming the leader key', requestTimeoutMs, (signal) =>
      api.getKey(this.key, { consistent: true }, signal, requestTimeoutMs),
    );
    let owned: boolean;
    try {
      owned = isHeldBy((await raceAbort(pending, stop)).entry, grant.id, token);
    } catch (error) {
      void this.releaseIfHeld(grant.id, token).catch(() => undefined);
      throw error;
    }
    // A session whose grant was slow may be near its deadline: renew it before handing out a
    // leadership that could otherwise run out before its first scheduled renewal.
    if (owned && !stop.aborted) owned = await leaseReadyForTerm(grant.lease);
    if (!owned || !grant.lease.isValid || stop.aborted) {
      void this.releaseIfHeld(grant.id, token).catch(() => undefined);
      throwIfAborted(stop);
      return undefined;
    }
    return this.startTerm(grant, id, token, stop);
  }

  /** Long-polls the key until no session holds it, our lease is lost, or `stop` aborts. */
  private async waitForVacancy(grant: LeaseGrant<string>, stop: AbortSignal): Promise<void> {
    const { api, watchWaitMs, requestTimeoutMs } = this.context;
    const controller = new AbortController();
    const onStop = (): void => controller.abort(stop.reason);
    stop.addEventListener('abort', onStop, { once: true });
    const unlost = grant.lease.onLost(() => controller.abort());
    try {
      let index = 0n;
      for (;;) {
        const blocking = index > 0n;
        const reply = await api.getKey(
          this.key,
          blocking ? { index, waitMs: watchWaitMs } : {},
          controller.signal,
          blocking ? watchWaitMs + watchWaitMs / 16 + requestTimeoutMs : requestTimeoutMs,
        );
        if (!reply.entry?.Session) break;
        index = reply.index > 0n ? reply.index : 1n;
      }
      // Every waiter hears the same release; spread their attempts.
      await sleep(HERD_FLOOR_MS + Math.random() * HERD_JITTER_MS, controller.signal);
    } catch (error) {
      throwIfAborted(stop);
      if (grant.lease.lost !== undefined) return;
      throw error;
    } finally {
      stop.removeEventListener('abort', onStop);
      unlost();
    }
  }

  private startTerm(grant: LeaseGrant<string>, id: string, token: bigint, stop: AbortSignal): Promise<LeadershipTerm> {
    const { scope, logger, held, requestTimeoutMs } = this.context;
    const term = new LeadershipTerm({
      election: this.name,
      id,
      token,
      logger,
      requestTimeoutMs,
      validUntil: () => grant.lease.deadline,
      actions: {
        proclaim: (value, signal) => this.proclaimIfHeld(grant.id, token, encodeRecord(id, value), signal),
        release: (signal) => this.releaseIfHeld(grant.id, token, signal),
      },
    });
    const unheld = held.add({
      key: this.key,
      sessionId: grant.id,
      token,
      lease: grant.lease,
      gone: (reason) => term.end(reason),
      release: (signal) => this.releaseIfHeld(grant.id, token, signal),
    });
    return handOutTerm(term, { scope, stop, lease: grant.lease, onEnd: unheld });
  }

  /**
   * Writes a new value only if the key still carries our session and token: a consistent
   * read, then a transaction that checks the session and compares-and-sets on the index read.
   * The token goes into Flags because the write moves ModifyIndex on.
   */
  private async proclaimIfHeld(sessionId: string, token: bigint, record: string, signal: AbortSignal): Promise<void> {
    const { api, requestTimeoutMs } = this.context;
    const { entry } = await api.getKey(this.key, { consistent: true }, signal, requestTimeoutMs);
    if (!isHeldBy(entry, sessionId, token))
      throw new LeadershipLostError('deposed', 'the leader key is no longer ours');
    const outcome = await api.txn(
      [
        { Verb: 'check-session', Key: this.key, Session: sessionId },
        {
          Verb: 'cas',
          Key: this.key,
          Index: entry.ModifyIndex,
          Value: Buffer.from(record).toString('base64'),
          Flags: Number(token),
        },
      ],
      signal,
      requestTimeoutMs,
    );
    if (!outcome.ok) throw new LeadershipLostError('deposed', `the leader key changed: ${outcome.errors.join('; ')}`);
  }

  /**
   * Deletes the key only if it still carries our session and token, so that a late release
   * never removes a successor's key. Deleting (not just unlocking) leaves no stale value and
   * no lock-delay behind.
   */
  private async releaseIfHeld(sessionId: string, token: bigint, signal?: AbortSignal): Promise<void> {
    const { api, requestTimeoutMs } = this.context;
    await withTimeout(
      'releasing the leader key',
      requestTimeoutMs,
      async (bounded) => {
        const { entry } = await api.getKey(this.key, { consistent: true }, bounded, requestTimeoutMs);
        if (!isHeldBy(entry, sessionId, token)) return;
        await api.txn(
          [
            { Verb: 'check-session', Key: this.key, Session: sessionId },
            { Verb: 'delete-cas', Key: this.key, Index: entry.ModifyIndex },
          ],
          bounded,
          requestTimeoutMs,
        );
      },
      signal,
    );
  }
}
