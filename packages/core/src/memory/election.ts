import { toAbortError } from '../abort.js';
import type { RetryPolicy } from '../campaign-loop.js';
import type { ResolvedCampaign } from '../client-scope.js';
import type { LeaderInfo } from '../election.js';
import { type CampaignPlan, ElectionBase } from '../election-base.js';
import { LeadershipLostError } from '../errors.js';
import { handOutTerm, leaseReadyForTerm } from '../hand-out.js';
import { LeadershipTerm } from '../leadership-term.js';
import type { LeaderSource } from '../observe.js';
import type { LeaseGrant } from '../session.js';
import type { MemoryElectionContext } from './context.js';
import type { MemoryEntry } from './store.js';

/** An election on the memory store: a FIFO queue of keys ordered by create revision. */
export class MemoryElection extends ElectionBase<MemoryElectionContext> {
  // The store is in-process: nothing it does is a transient failure.
  protected readonly retry: RetryPolicy = { isTransient: () => false };

  protected plan({ id, value }: ResolvedCampaign, stop: AbortSignal): CampaignPlan {
    const { session, store } = this.context;
    return {
      attempt: async () => {
        const grant = await session.current(stop);
        const entry = store.enqueue(this.name, grant.id, id, value);
        if (!entry) {
          // The store ended our session before our lease noticed: start over on a fresh one.
          grant.lease.lose('expired');
          return undefined;
        }
        if (!(await this.waitUntilFirst(entry, grant, stop))) return undefined;
        // Our turn came; make sure it came to a key that is still ours, on a live lease.
        if (!this.owns(entry, grant) || !(await leaseReadyForTerm(grant.lease))) {
          store.deleteIf(entry.key, grant.id, entry.createRevision);
          return undefined;
        }
        return this.startTerm(entry, grant, stop);
      },
    };
  }

  protected async readLeader(): Promise<LeaderInfo | undefined> {
    const head = this.context.store.head(this.name);
    if (!head) return undefined;
    return head.value === undefined
      ? { id: head.id, token: head.createRevision }
      : { id: head.id, value: head.value, token: head.createRevision };
  }

  protected leaderSource(): LeaderSource {
    const { store } = this.context;
    return {
      read: async () => this.readLeader(),
      subscribe: async (changed) => store.watch(this.name, changed),
    };
  }

  private owns(entry: MemoryEntry, grant: LeaseGrant<string>): boolean {
    const current = this.context.store.get(entry.key);
    return current !== undefined && current.sessionId === grant.id && grant.lease.isValid;
  }

  /** True when `entry` heads the queue; false when its key or lease vanished while waiting. */
  private waitUntilFirst(entry: MemoryEntry, grant: LeaseGrant<string>, stop: AbortSignal): Promise<boolean> {
    const { store } = this.context;
    return new Promise<boolean>((resolve, reject) => {
      let done = false;
      const finish = (outcome: boolean | Error): void => {
        if (done) return;
        done = true;
        unwatch();
        unlost();
        stop.removeEventListener('abort', onAbort);
        if (outcome instanceof Error) {
          store.deleteIf(entry.key, grant.id, entry.createRevision);
          reject(outcome);
        } else {
          if (!outcome) store.deleteIf(entry.key, grant.id, entry.createRevision);
          resolve(outcome);
        }
      };
      const check = (): void => {
        if (!this.owns(entry, grant)) finish(false);
        else if (store.head(this.name)?.key === entry.key) finish(true);
      };
      const onAbort = (): void => finish(toAbortError(stop));
      const unwatch = store.watch(this.name, check);
      const unlost = grant.lease.onLost(() => finish(false));
      stop.addEventListener('abort', onAbort, { once: true });
      if (stop.aborted) onAbort();
      else check();
    });
  }

  private startTerm(entry: MemoryEntry, grant: LeaseGrant<string>, stop: AbortSignal): Promise<LeadershipTerm> {
    const { store, scope, logger, requestTimeoutMs } = this.context;
    const term = new LeadershipTerm({
      election: this.name,
      id: entry.id,
      token: entry.createRevision,
      logger,
      requestTimeoutMs,
      validUntil: () => grant.lease.deadline,
      actions: {
        proclaim: async (value) => {
          if (!store.setValueIf(entry.key, grant.id, entry.createRevision, value)) {
            throw new LeadershipLostError('deposed', 'the leader key is no longer ours');
          }
        },
        release: async () => {
          store.deleteIf(entry.key, grant.id, entry.createRevision);
        },
      },
    });
    const unwatch = store.watch(this.name, () => {
      const current = store.get(entry.key);
      if (!current || current.sessionId !== grant.id) term.end('deposed');
    });
    return handOutTerm(term, { scope, stop, lease: grant.lease, onEnd: unwatch });
  }
}
