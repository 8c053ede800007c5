import { randomUUID } from 'node:crypto';

/** One candidate's key in an election, as the memory store keeps it. */
export interface MemoryEntry {
  readonly key: string;
  /** Revision at which the key was created: the candidate's place in line and, as leader, its token. */
  readonly createRevision: bigint;
  sessionId: string;
  id: string;
  value: string | undefined;
}

type ChangeListener = () => void;

interface StoredSession {
  readonly ttlMs: number;
  timer: NodeJS.Timeout;
  readonly keys: Set<string>;
}

/**
 * An in-process coordination store with the semantics of etcd that elections need: one
 * revision counter, sessions that expire after their ttl unless kept alive, keys bound to
 * sessions and deleted with them, and per-election change notification. Several clients
 * (memory backends) can share one store, which stands in for the server.
 */
export class MemoryStore {
  private revision = 0n;
  private readonly sessions = new Map<string, StoredSession>();
  private readonly elections = new Map<string, MemoryEntry[]>();
  private readonly keyIndex = new Map<string, { election: string; entry: MemoryEntry }>();
  private readonly listeners = new Map<string, Set<ChangeListener>>();

  grantSession(ttlMs: number): string {
    const id = randomUUID();
    const session: StoredSession = { ttlMs, timer: this.expiryTimer(id, ttlMs), keys: new Set() };
    this.sessions.set(id, session);
    return id;
  }

  /** Restarts the session's ttl. False when the session is gone. */
  keepAlive(sessionId: string): boolean {
    const session = this.sessions.get(sessionId);
    if (!session) return false;
    clearTimeout(session.timer);
    session.timer = this.expiryTimer(sessionId, session.ttlMs);
    return true;
  }

  hasSession(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  /** Ends a session and deletes its keys, as a revoked etcd lease or an expired one does. */
  revokeSession(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    clearTimeout(session.timer);
    this.sessions.delete(sessionId);
    for (const key of session.keys) this.deleteKey(key);
  }

  /** Appends a candidate at the next revision; undefined when the session no longer exists. */
  enqueue(election: string, sessionId: string, id: string, value: string | undefined): MemoryEntry | undefined {
    const session = this.sessions.get(sessionId);
    if (!session) return undefined;
    this.revision += 1n;
    const entry: MemoryEntry = {
      key: `${election}/${this.revision}`,
      createRevision: this.revision,
      sessionId,
      id,
      value,
    };
    const queue = this.elections.get(election) ?? [];
    queue.push(entry);
    this.elections.set(election, queue);
    this.keyIndex.set(entry.key, { election, entry });
    session.keys.add(entry.key);
    this.notify(election);
    return entry;
  }

  /** The candidate with the lowest create revision: the leader. */
  head(election: string): MemoryEntry | undefined {
    return this.elections.get(election)?.[0];
  }

  get(key: string): MemoryEntry | undefined {
    return this.keyIndex.get(key)?.entry;
  }

  /** Deletes `key` if it still belongs to `sessionId` and was created at `createRevision`. */
  deleteIf(key: string, sessionId: string, createRevision: bigint): boolean {
    const entry = this.get(key);
    if (!entry || entry.sessionId !== sessionId || entry.createRevision !== createRevision) return false;
    this.deleteKey(key);
    return true;
  }

  /** Sets the value of `key` if it still belongs to `sessionId`. */
  setValueIf(key: string, sessionId: string, createRevision: bigint, value: string): boolean {
    const located = this.keyIndex.get(key);
    if (!located || located.entry.sessionId !== sessionId || located.entry.createRevision !== createRevision) {
      return false;
    }
    this.revision += 1n;
    located.entry.value = value;
    this.notify(located.election);
    return true;
  }

  /** Calls `listener` after every change to the election's keys. */
  watch(election: string, listener: ChangeListener): () => void {
    const set = this.listeners.get(election) ?? new Set();
    set.add(listener);
    this.listeners.set(election, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(election);
    };
  }

  /** Test hook: deletes the leader's key as an operator or a buggy client might. */
  deleteLeaderKey(election: string): boolean {
    const head = this.head(election);
    if (!head) return false;
    this.deleteKey(head.key);
    return true;
  }

  /**
   * Test hook: gives the leader's key to an outsider's session, as a put from another
   * client would; the outsider's session lapses after `ttlMs`.
   */
  overwriteLeaderKey(election: string, ttlMs: number): boolean {
    const head = this.head(election);
    if (!head) return false;
    this.sessions.get(head.sessionId)?.keys.delete(head.key);
    const outsider = this.grantSession(ttlMs);
    this.sessions.get(outsider)?.keys.add(head.key);
    this.revision += 1n;
    head.sessionId = outsider;
    head.id = 'outsider';
    head.value = 'overwritten';
    this.notify(election);
    return true;
  }

  /** Test hook: how many sessions are alive, to prove nothing was left behind. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Test hook: how many keys an election holds. */
  keyCount(election: string): number {
    return this.elections.get(election)?.length ?? 0;
  }

  private deleteKey(key: string): void {
    const located = this.keyIndex.get(key);
    if (!located) return;
    this.keyIndex.delete(key);
    this.sessions.get(located.entry.sessionId)?.keys.delete(key);
    const queue = this.elections.get(located.election);
    if (queue) {
      const index = queue.indexOf(located.entry);
      if (index >= 0) queue.splice(index, 1);
      if (queue.length === 0) this.elections.delete(located.election);
    }
    this.revision += 1n;
    this.notify(located.election);
  }

  private expiryTimer(sessionId: string, ttlMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.revokeSession(sessionId), ttlMs);
    // The store stands in for a server; its timers must not keep a process alive.
    timer.unref();
    return timer;
  }

  private notify(election: string): void {
    const set = this.listeners.get(election);
    if (!set) return;
    for (const listener of [...set]) listener();
  }
}

const stores = new Map<string, MemoryStore>();

/** The store a `memory://NAME` URL names; `memory://` is the default one. */
export function memoryStore(name = ''): MemoryStore {
  let store = stores.get(name);
  if (!store) {
    store = new MemoryStore();
    stores.set(name, store);
  }
  return store;
}
