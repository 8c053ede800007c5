import {
  backoffDelay,
  type CampaignOptions,
  ClosedError,
  type Election,
  InvalidArgumentError,
  type LeaderInfo,
  type Leadership,
  LeadershipLostError,
  LeadershipTerm,
  type LeaseGrant,
  type ObserveOptions,
  observeLeader,
  resolveCampaignOptions,
  sleep,
  toAbortError,
} from '@baton/core';
import type { IKeyValue } from 'etcd3';
import type { EtcdBackend } from './backend.js';
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
export class EtcdElection implements Election {
  readonly name: string;
  private readonly backend: EtcdBackend;
  private readonly keyPrefix: Buffer;

  constructor(backend: EtcdBackend, name: string) {
    this.backend = backend;
    this.name = name;
    this.keyPrefix = Buffer.from(electionPrefix(backend.prefix, name), 'utf8');
  }

  async campaign(options?: CampaignOptions): Promise<Leadership> {
    const { id, value, signal } = resolveCampaignOptions(options);
    const { scope, session, logger } = this.backend;
    scope.assertOpen();
    const stop = scope.link(signal);
    let failures = 0;
    for (;;) {
      if (stop.aborted) throw toAbortError(stop);
      let candidate: Candidate | undefined;
      try {
        const grant = await session.current(stop);
        const key = Buffer.from(candidateKey(this.keyPrefix.toString('utf8'), grant.id, this.backend.nextSeq()));
        const created = await this.create(key, id, value, grant, stop);
        if (!created) continue;
        candidate = { id, key, createRevision: created.createRevision, grant };
        // Led already when the key was put: the create transaction read it as the owner.
        const confirmedAt =
          created.leads && grant.lease.isValid ? created.revision : await this.waitForTurn(candidate, stop);
        // A lease whose grant was slow may be near its deadline: renew it before handing out a
        // leadership that could otherwise run out before its first scheduled renewal.
        if (confirmedAt === undefined || !(await grant.lease.ensureRemaining(grant.lease.ttlMs / 2))) {
          await this.discard(candidate);
          continue;
        }
        return await this.startTerm(candidate, confirmedAt, stop);
      } catch (error) {
        if (candidate) await this.discard(candidate);
        if (stop.aborted) throw toAbortError(stop);
        if (!isTransient(error)) throw error;
        logger.warn({ election: this.name, err: error }, 'campaign interrupted by a store failure; retrying');
        await sleep(backoffDelay(failures++, 100, Math.max(1_000, this.backend.ttlMs / 2)), stop).catch(() => {
          throw toAbortError(stop);
        });
      }
    }
  }

  async leader(): Promise<LeaderInfo | undefined> {
    const { scope, store } = this.backend;
    scope.assertOpen();
    return store.leader(this.keyPrefix, scope.signal);
  }

  observe(options?: ObserveOptions): AsyncIterable<LeaderInfo | undefined> {
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidArgumentError('signal must be an AbortSignal');
    }
    const { scope, store, watches, logger } = this.backend;
    scope.assertOpen();
    const stop = scope.link(signal);
    return observeLeader(
      {
        read: (readSignal) => store.leader(this.keyPrefix, readSignal),
        // Every change under the election may change the leader or its value; re-reading on a
        // reconnect covers what the etcd3 client could not replay.
        subscribe: (changed, broken) =>
          watches.open(
            (builder) => builder.prefix(this.keyPrefix),
            { onPut: changed, onDelete: changed, onReconnected: changed, onBroken: broken },
            store.requestTimeoutMs,
            stop,
          ),
      },
      stop,
      logger,
    );
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
      const created = await this.backend.store.createCandidate(
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
      await this.backend.store.deleteIfLease(key, grant.id).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Waits until no key of the election has a lower create revision than ours, watching
   * only our predecessor. Resolves with the revision at which it confirmed that our key
   * still exists, unchanged, on our live lease; undefined when the key or lease is gone.
   */
  private async waitForTurn(candidate: Candidate, stop: AbortSignal): Promise<bigint | undefined> {
    const { store } = this.backend;
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
    const { watches, store } = this.backend;
    const woken = new AbortController();
    const wake = (): void => woken.abort();
    const unlost = grant.lease.onLost(wake);
    let stopWatch: StopWatch | undefined;
    try {
      stopWatch = await watches.open(
        (builder) => builder.key(key).only('delete'),
        // A broken watch (compaction) wakes us too: the caller re-reads the predecessor.
        { onDelete: wake, onBroken: wake },
        store.requestTimeoutMs,
        stop,
      );
      if (!(await store.get(key, stop)).kv) wake();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          woken.signal.removeEventListener('abort', onWake);
          reject(toAbortError(stop));
        };
        const onWake = (): void => {
          stop.removeEventListener('abort', onAbort);
          resolve();
        };
        if (stop.aborted) return onAbort();
        if (woken.signal.aborted) return onWake();
        stop.addEventListener('abort', onAbort, { once: true });
        woken.signal.addEventListener('abort', onWake, { once: true });
      });
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

  /** Removes a candidate key we gave up on (guarded: never a successor's), bounded. */
  private async discard(candidate: Candidate): Promise<void> {
    const { store, logger } = this.backend;
    try {
      await store.deleteIfOwned(candidate.key, candidate.createRevision, candidate.grant.id);
    } catch (error) {
      logger.debug(
        { election: this.name, err: error },
        'could not remove an abandoned candidate key; it goes with its lease',
      );
    }
  }

  /**
   * The leadership, watched from the revision at which we confirmed it: a delete of our
   * key, or a put that is not ours (another lease, another id, another generation),
   * deposes it; the lease's loss expires it.
   */
  private async startTerm(candidate: Candidate, confirmedAt: bigint, stop: AbortSignal): Promise<LeadershipTerm> {
    const { store, scope, logger, watches } = this.backend;
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
    const unlost = grant.lease.onLost((reason) => term.end(reason));
    term.onEnd(() => {
      unlost();
      stopWatch?.();
    });
    scope.track(term);
    if (scope.closed) throw new ClosedError();
    if (stop.aborted && !term.signal.aborted) {
      // Elected as the caller gave up: hand the leadership back rather than leak it.
      await term.resign();
      throw toAbortError(stop);
    }
    return term;
  }
}
