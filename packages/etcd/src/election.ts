import {
  backoffDelay,
  type CampaignPlan,
  ElectionBase,
  handOutTerm,
  type LeaderInfo,
  type LeaderSource,
  LeadershipLostError,
  LeadershipTerm,
  type LeaseGrant,
  leaseReadyForTerm,
  type ResolvedCampaign,
  type RetryPolicy,
  removeAbandoned,
  sleep,
  Wakeup,
} from '@baton/core/adapter';
import type { IKeyValue } from 'etcd3';
import type { EtcdElectionContext } from './context.js';
import { isLeaseNotFound, isTransient } from './errors.js';
import { candidateKey, decodeValue, electionPrefix, encodeValue } from './keys.js';
import type { StopWatch } from './watch.js';

/** One candidate key: where it is, which generation of it, on which lease. */
interface Candidate {
  readonly id: string;
  readonly key: Buffer;
  readonly createRevision: bigint;
  readonly grant: LeaseGrant<string>;
}

/**
 * An election on etcd: one key per candidate under `${prefix}/${name}/@/`, on the client's
 * lease; the key with the lowest create revision leads, and its create revision is the
 * fencing token. A waiting candidate watches only the key just before its own.
 */
export class EtcdElection extends ElectionBase<EtcdElectionContext> {
  protected readonly retry: RetryPolicy = { isTransient };
  private readonly keyPrefix: Buffer;

  constructor(context: EtcdElectionContext, name: string) {
    super(context, name);
    this.keyPrefix = Buffer.from(electionPrefix(context.prefix, name), 'utf8');
  }

  protected plan({ id, value }: ResolvedCampaign, stop: AbortSignal): CampaignPlan {
    const { session } = this.context;
    return {
      attempt: async () => {
        const grant = await session.current(stop);
        const key = Buffer.from(candidateKey(this.keyPrefix.toString('utf8'), grant.id, this.context.nextSeq()));
        const created = await this.create(key, id, value, grant, stop);
        if (!created) return undefined;
        const candidate: Candidate = { id, key, createRevision: created.createRevision, grant };
        try {
          // Led already when the key was put: the create transaction read it as the owner.
          const confirmedAt =
            created.leads && grant.lease.isValid ? created.revision : await this.waitForTurn(candidate, stop);
          if (confirmedAt === undefined || !(await leaseReadyForTerm(grant.lease))) {
            await this.discard(candidate);
            return undefined;
          }
          return await this.startTerm(candidate, confirmedAt, stop);
        } catch (error) {
          await this.discard(candidate);
          throw error;
        }
      },
    };
  }

  protected readLeader(signal: AbortSignal): Promise<LeaderInfo | undefined> {
    return this.context.store.leader(this.keyPrefix, signal);
  }

  protected leaderSource(): LeaderSource {
    const { store, watches } = this.context;
    return {
      read: (signal) => this.readLeader(signal),
      // Every change under the election may change the leader or its value; re-reading on a
      // reconnect covers what the etcd3 client could not replay.
      subscribe: (changed, broken, signal) =>
        watches.open(
          (builder) => builder.prefix(this.keyPrefix),
          { onPut: changed, onDelete: changed, onReconnected: changed, onBroken: broken },
          store.requestTimeoutMs,
          signal,
        ),
    };
  }

  /** Puts the candidate key; undefined when the lease turned out to be gone (then try a fresh one). */
  private async create(
    key: Buffer,
    id: string,
    value: string | undefined,
    grant: LeaseGrant<string>,
    stop: AbortSignal,
  ): Promise<{ createRevision: bigint; revision: bigint; leads: boolean } | undefined> {
    try {
      const created = await this.context.store.createCandidate(
        this.keyPrefix,
        key,
        encodeValue(id, value),
        grant.id,
        stop,
      );
      if (!created) grant.lease.lose('expired');
      return created;
    } catch (error) {
      if (isLeaseNotFound(error)) {
        // The store ended our lease before our renewals noticed: start over on a fresh one.
        grant.lease.lose('expired');
        return undefined;
      }
      // The put may have applied before the call failed: a key left on our live lease would
      // one day lead with nobody behind it. Keys are unique per attempt, so this delete is safe.
      await removeAbandoned(
        grant.lease,
        async () => {
          await this.context.store.deleteIfLease(key, grant.id);
        },
        (err) => this.context.logger.debug({ election: this.name, err }, 'could not remove a key whose put failed'),
      );
      throw error;
    }
  }

  /**
   * Waits until no key of the election has a lower create revision than ours, watching
   * only our predecessor. Resolves with the revision at which it confirmed that our key
   * still exists, unchanged, on our live lease; undefined when the key or lease is gone.
   */
  private async waitForTurn(candidate: Candidate, stop: AbortSignal): Promise<bigint | undefined> {
    const { store } = this.context;
    for (;;) {
      if (!candidate.grant.lease.isValid) return undefined;
      const turn = await store.turn(this.keyPrefix, candidate.key, candidate.createRevision, stop);
      if (!this.isOurs(turn.own, candidate)) return undefined;
      if (turn.predecessor) {
        await this.waitForDelete(turn.predecessor.key, candidate.grant, stop);
        continue;
      }
      if (!candidate.grant.lease.isValid) return undefined;
      return turn.revision;
    }
  }

  /**
   * Resolves when `key` is gone, the watch breaks, or our lease is lost. The watch starts at
   * the store's current revision, and the key is read again once it is in place: a watch
   * from a past revision would be served by etcd's catch-up loop, which runs every 100 ms
   * until the watch is current, and a release in that window would reach us late.
   */
  private async waitForDelete(key: Buffer, grant: LeaseGrant<string>, stop: AbortSignal): Promise<void> {
    const { watches, store } = this.context;
    const wakeup = new Wakeup();
    const unlost = grant.lease.onLost(wakeup.wake);
    let stopWatch: StopWatch | undefined;
    try {
      stopWatch = await watches.open(
        (builder) => builder.key(key).only('delete'),
        // A broken watch (compaction) wakes us too, and so does a watch the etcd3 client
        // re-created after its stream broke: one that had seen no event yet resumes from the
        // store's current revision, and a delete made meanwhile would never reach it. The
        // caller re-reads the predecessor either way.
        { onDelete: wakeup.wake, onBroken: wakeup.wake, onReconnected: wakeup.wake },
        store.requestTimeoutMs,
        stop,
      );
      if (!(await store.get(key, stop)).kv) wakeup.wake();
      await wakeup.wait(stop);
    } finally {
      unlost();
      stopWatch?.();
    }
  }

  private isOurs(kv: IKeyValue | undefined, candidate: Candidate): boolean {
    return (
      kv !== undefined &&
      BigInt(kv.create_revision) === candidate.createRevision &&
      kv.lease === candidate.grant.id &&
      decodeValue(kv.value, kv.key).id === candidate.id
    );
  }

  /**
   * Removes a candidate key we gave up on (guarded: never a successor's). Our lease outlives
   * the attempt, so a key that cannot be removed now (the store is unreachable) is retried
   * until it goes: left there, it would stand before our next attempt's key for good.
   */
  private async discard(candidate: Candidate): Promise<void> {
    const { store, logger } = this.context;
    await removeAbandoned(
      candidate.grant.lease,
      async () => {
        await store.deleteIfOwned(candidate.key, candidate.createRevision, candidate.grant.id);
      },
      (err) => logger.debug({ election: this.name, err }, 'could not remove an abandoned candidate key; retrying'),
    );
  }

  /**
   * The leadership, watched from the revision at which we confirmed it: a delete of our
   * key, or a put that is not ours (another lease, another id, another generation),
   * deposes it; the lease's loss expires it.
   */
  private async startTerm(candidate: Candidate, confirmedAt: bigint, stop: AbortSignal): Promise<LeadershipTerm> {
    const { store, scope, logger, watches } = this.context;
    const { key, createRevision, grant, id } = candidate;
    const term = new LeadershipTerm({
      election: this.name,
      id,
      token: createRevision,
      logger,
      requestTimeoutMs: store.requestTimeoutMs,
      validUntil: () => grant.lease.deadline,
      actions: {
        proclaim: async (value, signal) => {
          if (!(await store.proclaim(key, createRevision, grant.id, id, value, signal))) {
            throw new LeadershipLostError('deposed', 'the leader key is no longer ours');
          }
        },
        release: async (signal) => {
          await store.deleteIfOwned(key, createRevision, grant.id, signal);
        },
      },
    });
    const ended = new AbortController();
    term.onEnd(() => ended.abort());
    let stopWatch: StopWatch | undefined;
    const onPut = (kv: IKeyValue): void => {
      if (!this.isOurs(kv, candidate)) term.end('deposed');
    };
    const onDelete = (): void => {
      term.end('deposed');
    };
    const watchFrom = async (revision: bigint): Promise<void> => {
      stopWatch?.();
      stopWatch = await watches.open(
        (builder) => builder.key(key).startRevision(revision.toString()),
        {
          onPut,
          onDelete,
          // The stream that would tell us of a deposal broke: that is the connection being
          // lost, for the whole client (one stream carries all its watches). Under 'abort' the
          // lease goes, ending every term on it; under 'tolerate-until-deadline' a renewal
          // confirmed before the deadline keeps them.
          onDisconnected: (error) => grant.lease.connectionLost(error),
          onBroken: () => void rewatch(),
        },
        store.requestTimeoutMs,
        ended.signal,
      );
      if (ended.signal.aborted) stopWatch();
    };
    // The server cancelled our watch (compaction): read our key again, then watch on from there.
    const rewatch = async (): Promise<void> => {
      for (let attempt = 0; !ended.signal.aborted; attempt++) {
        try {
          const own = await store.get(key, ended.signal);
          if (!this.isOurs(own.kv, candidate)) {
            term.end('deposed');
            return;
          }
          await watchFrom(own.revision + 1n);
          return;
        } catch (error) {
          if (ended.signal.aborted) return;
          logger.warn({ election: this.name, err: error }, 'could not re-watch the leader key; retrying');
          await sleep(backoffDelay(attempt, 100, 1_000), ended.signal).catch(() => undefined);
        }
      }
    };
    try {
      await watchFrom(confirmedAt + 1n);
    } catch (error) {
      // Never handed out: release the key (guarded) and let the campaign retry.
      term.end('connection-lost', error);
      await term.settled();
      throw error;
    }
    return handOutTerm(term, { scope, stop, lease: grant.lease, onEnd: () => stopWatch?.() });
  }
}
