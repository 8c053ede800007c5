import {
  backoffDelay,
  type CampaignPlan,
  ElectionBase,
  handOutTerm,
  type LeaderInfo,
  type LeaderSource,
  LeadershipTerm,
  type LeaseGrant,
  leaseReadyForTerm,
  type ResolvedCampaign,
  type RetryPolicy,
  sleep,
  toAbortError,
  Wakeup,
} from '@baton/core/adapter';
import type { ZkConnection } from './connection.js';
import type { ZooKeeperElectionContext } from './context.js';
import { isTransient, toBatonError } from './errors.js';
import { ZK } from './native.js';
import { type Candidate, CandidateNodes, isOurs } from './nodes.js';
import { readLeader, watchedLeaderSource } from './observer.js';
import { electionPath, inLineOrder } from './paths.js';

/**
 * An election on ZooKeeper, the classic recipe: one EPHEMERAL_SEQUENTIAL node per
 * candidate under `${chroot}/baton/${name}`; the lowest sequence leads; a waiting
 * candidate watches only its predecessor. The leader's token is its node's czxid, which
 * (unlike the sequence suffix) never restarts when the election node is recreated.
 */
export class ZooKeeperElection extends ElectionBase<ZooKeeperElectionContext> {
  /** The election's node; candidates are its children. */
  readonly path: string;
  protected readonly retry: RetryPolicy = { isTransient, toError: (error) => toBatonError(error, 'campaign') };
  private readonly nodes: CandidateNodes;

  constructor(context: ZooKeeperElectionContext, name: string) {
    super(context, name);
    this.path = electionPath(context.chroot, name);
    this.nodes = new CandidateNodes({
      path: this.path,
      election: name,
      logger: context.logger,
      authenticated: context.authenticated,
    });
  }

  protected plan({ id, value }: ResolvedCampaign, stop: AbortSignal): CampaignPlan {
    return {
      attempt: async () => {
        const grant = await this.context.grant(stop);
        const candidate = await this.nodes.enqueue(grant, id, value, stop);
        if (!candidate) return undefined;
        try {
          if ((await this.waitForTurn(candidate, stop)) && (await leaseReadyForTerm(grant.lease))) {
            const term = await this.startTerm(candidate, stop);
            if (term) return term;
          }
          await this.nodes.discard(candidate);
          return undefined;
        } catch (error) {
          await this.nodes.discard(candidate);
          throw error;
        }
      },
    };
  }

  protected async readLeader(signal: AbortSignal): Promise<LeaderInfo | undefined> {
    try {
      const { id: connection } = await this.context.grant(signal);
      // A ZooKeeper server may lag behind the leader; sync makes this read see every write
      // the ensemble committed before it (sequential consistency plus sync, as Curator does).
      await connection.sync(this.path, signal);
      return await readLeader(connection, this.path, signal);
    } catch (error) {
      if (signal.aborted) throw toAbortError(signal);
      throw toBatonError(error, 'reading the leader');
    }
  }

  protected leaderSource(): LeaderSource {
    return watchedLeaderSource(this.context, this.path);
  }

  /**
   * Waits until no candidate precedes ours, watching only our predecessor (no herd). True
   * once it confirmed that our node still exists, owned by our live session; false when
   * the node or the session is gone.
   */
  private async waitForTurn(candidate: Candidate, stop: AbortSignal): Promise<boolean> {
    const { id: connection, lease } = candidate.grant;
    for (let failures = 0; ; ) {
      if (!lease.isValid) return false;
      try {
        const children = await connection.children(this.path, stop);
        const line = inLineOrder(children ?? []);
        const index = line.findIndex((child) => child.name === candidate.name);
        if (index < 0) return false;
        const predecessor = line[index - 1];
        if (!predecessor) {
          const own = await connection.exists(candidate.path, stop);
          return isOurs(own, candidate) && lease.isValid;
        }
        await this.waitForDelete(candidate.grant, `${this.path}/${predecessor.name}`, stop);
        failures = 0;
      } catch (error) {
        // A blip while the session lives (the client is moving to another server): our node
        // keeps its place in line; look again once the client is back. The lease decides
        // when the session is to be given up.
        if (stop.aborted || !isTransient(error) || !lease.isValid) throw error;
        await sleep(backoffDelay(failures++, 100, 1_000), stop);
      }
    }
  }

  /** Resolves when `path` is gone or may have changed, or our session is lost; rejects on abort. */
  private async waitForDelete(grant: LeaseGrant<ZkConnection>, path: string, stop: AbortSignal): Promise<void> {
    const wakeup = new Wakeup();
    const unlost = grant.lease.onLost(wakeup.wake);
    try {
      // A data watch: left only on a node that exists, so nothing lingers for a missing one.
      const node = await grant.id.get(path, stop, wakeup.wake);
      if (!node) return;
      await wakeup.wait(stop);
    } finally {
      unlost();
    }
  }

  /**
   * The leadership: a data watch on our node deposes it when the node is deleted (or found
   * not ours); the lease's loss ends it with the lease's reason; after a reconnect the node
   * is checked again. Undefined when the node turned out to be gone already.
   */
  private async startTerm(candidate: Candidate, stop: AbortSignal): Promise<LeadershipTerm | undefined> {
    const { scope, logger, requestTimeoutMs } = this.context;
    const { grant, path } = candidate;
    const connection = grant.id;
    const term = new LeadershipTerm({
      election: this.name,
      id: candidate.id,
      token: candidate.token,
      logger,
      requestTimeoutMs,
      validUntil: () => grant.lease.deadline,
      actions: {
        proclaim: (value, signal) => this.nodes.proclaim(candidate, value, signal),
        release: (signal) => this.nodes.release(candidate, signal),
      },
    });
    let live = true;
    const verify = async (): Promise<void> => {
      if (!live || !grant.lease.isValid) return;
      try {
        if (!isOurs(await connection.exists(path), candidate)) term.end('deposed');
      } catch (error) {
        // Connectivity is the lease's business; the next event or reconnect checks again.
        logger.debug({ election: this.name, err: error }, 'could not check the leader node');
      }
    };
    const arm = async (): Promise<boolean> => {
      const node = await connection.get(path, undefined, onWatch);
      if (!isOurs(node?.stat, candidate)) {
        term.end('deposed');
        return false;
      }
      return true;
    };
    const rearm = async (): Promise<void> => {
      for (let attempt = 0; live && grant.lease.isValid; attempt++) {
        try {
          await arm();
          return;
        } catch (error) {
          logger.debug({ election: this.name, err: error }, 'could not re-watch the leader node; retrying');
          await sleep(backoffDelay(attempt, 100, 1_000));
        }
      }
    };
    function onWatch(type: number): void {
      if (!live) return;
      if (type === ZK.ZOO_DELETED_EVENT) term.end('deposed');
      // A session event leaves the watch in place; any other event used it up.
      else if (type === ZK.ZOO_SESSION_EVENT) void verify();
      else void rearm();
    }
    try {
      if (!(await arm())) return undefined;
    } catch (error) {
      live = false;
      term.end('connection-lost', error);
      await term.settled();
      throw error;
    }
    const offReconnected = connection.onReconnected(() => void verify());
    return handOutTerm(term, {
      scope,
      stop,
      lease: grant.lease,
      onEnd: () => {
        live = false;
        offReconnected();
      },
    });
  }
}
