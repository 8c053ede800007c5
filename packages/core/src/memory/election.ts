import { toAbortError } from '../abort.js';
import { resolveCampaignOptions } from '../client-scope.js';
import type { CampaignOptions, Election, LeaderInfo, ObserveOptions } from '../election.js';
import { LeadershipLostError } from '../errors.js';
import type { Leadership } from '../leadership.js';
import { LeadershipTerm } from '../leadership-term.js';
import { observeLeader } from '../observe.js';
import type { LeaseGrant } from '../session.js';
import { validateSignal } from '../validation.js';
import type { MemoryBackend } from './backend.js';
import type { MemoryEntry } from './store.js';

/** An election on the memory store: a FIFO queue of keys ordered by create revision. */
export class MemoryElection implements Election {
  readonly name: string;
  private readonly backend: MemoryBackend;

  constructor(backend: MemoryBackend, name: string) {
    this.backend = backend;
    this.name = name;
  }

  async campaign(options?: CampaignOptions): Promise<Leadership> {
    const { id, value, signal } = resolveCampaignOptions(options);
    const { scope, session, store } = this.backend;
    scope.assertOpen();
    const stop = scope.link(signal);
    for (;;) {
      const grant = await session.current(stop);
      const entry = store.enqueue(this.name, grant.id, id, value);
      if (!entry) {
        // The store ended our session before our lease noticed: start over on a fresh one.
        grant.lease.lose('expired');
        continue;
      }
      if (!(await this.waitUntilFirst(entry, grant, stop))) continue;
      // Our turn came; make sure it came to a key that is still ours, on a live lease.
      if (!this.owns(entry, grant)) continue;
      return this.startTerm(entry, grant);
    }
  }

  async leader(): Promise<LeaderInfo | undefined> {
    this.backend.scope.assertOpen();
    return this.readLeader();
  }

  observe(options?: ObserveOptions): AsyncIterable<LeaderInfo | undefined> {
    const signal = validateSignal(options?.signal);
    const { scope, store, logger } = this.backend;
    scope.assertOpen();
    return observeLeader(
      {
        read: async () => this.readLeader(),
        subscribe: async (changed) => store.watch(this.name, changed),
      },
      scope.link(signal),
      logger,
    );
  }

  private readLeader(): LeaderInfo | undefined {
    const head = this.backend.store.head(this.name);
    if (!head) return undefined;
    return head.value === undefined
      ? { id: head.id, token: head.createRevision }
      : { id: head.id, value: head.value, token: head.createRevision };
  }

  private owns(entry: MemoryEntry, grant: LeaseGrant<string>): boolean {
    const current = this.backend.store.get(entry.key);
    return current !== undefined && current.sessionId === grant.id && grant.lease.isValid;
  }

  /** True when `entry` heads the queue; false when its key or lease vanished while waiting. */
  private waitUntilFirst(entry: MemoryEntry, grant: LeaseGrant<string>, stop: AbortSignal): Promise<boolean> {
    const { store } = this.backend;
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

  private startTerm(entry: MemoryEntry, grant: LeaseGrant<string>): LeadershipTerm {
    const { store, scope, logger } = this.backend;
    const term = new LeadershipTerm({
      election: this.name,
      id: entry.id,
      token: entry.createRevision,
      logger,
      requestTimeoutMs: this.backend.ttlMs,
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
    const unlost = grant.lease.onLost((reason) => term.end(reason));
    const unwatch = store.watch(this.name, () => {
      const current = store.get(entry.key);
      if (!current || current.sessionId !== grant.id) term.end('deposed');
    });
    term.onEnd(() => {
      unlost();
      unwatch();
    });
    scope.track(term);
    return term;
  }
}
