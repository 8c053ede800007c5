import { randomBytes } from 'node:crypto';
import {
  BackendUnavailableError,
  LeadershipLostError,
  type LeaseGrant,
  type Logger,
  removeAbandoned,
  toAbortError,
} from '@baton/core/adapter';
import type { ZkConnection } from './connection.js';
import { hasCode, isTransient, toBatonError } from './errors.js';
import { type NativeAcl, type NativeStat, ZK } from './native.js';
import { ancestry, candidatePrefix, encodeRecord, NODE_PREFIX } from './paths.js';

/**
 * With digest credentials: the authenticated user may do anything, everyone else may only
 * read. On the election node this keeps other clients from creating or deleting candidate
 * nodes (ZooKeeper checks a delete against the parent's ACL); on a candidate node, from
 * overwriting its data.
 */
const PROTECTED_ACL: readonly NativeAcl[] = [
  { perms: ZK.ZOO_PERM_ALL, scheme: 'auth', auth: '' },
  { perms: ZK.ZOO_PERM_READ, scheme: 'world', auth: 'anyone' },
];

/** One candidate node: where it is, which generation (its czxid), on which session. */
export interface Candidate {
  readonly id: string;
  readonly path: string;
  readonly name: string;
  readonly token: bigint;
  readonly grant: LeaseGrant<ZkConnection>;
}

/** Whether `stat` is still our candidate node: the same generation, on our session. */
export function isOurs(stat: NativeStat | undefined, candidate: Candidate): boolean {
  return (
    stat !== undefined && BigInt(stat.czxid) === candidate.token && stat.ephemeralOwner === candidate.grant.id.sessionId
  );
}

export interface CandidateNodesOptions {
  /** The election's node; candidates are its children. */
  readonly path: string;
  /** The election's name, for logs. */
  readonly election: string;
  readonly logger: Logger;
  /** Protect nodes with ACLs (the URL carried digest credentials). */
  readonly authenticated: boolean;
}

/**
 * The life of candidate nodes in one election: created EPHEMERAL_SEQUENTIAL with a nonce
 * (found again when a create's reply is lost), written and deleted only while still ours
 * (czxid and session), and never left behind on a live session, where an abandoned node
 * would one day lead with nobody behind it.
 */
export class CandidateNodes {
  private readonly options: CandidateNodesOptions;

  constructor(options: CandidateNodesOptions) {
    this.options = options;
  }

  /** Creates our candidate node; undefined when the session turned out to be gone (then try a fresh one). */
  async enqueue(
    grant: LeaseGrant<ZkConnection>,
    id: string,
    value: string | undefined,
    stop: AbortSignal,
  ): Promise<Candidate | undefined> {
    const connection = grant.id;
    const nonce = randomBytes(8).toString('hex');
    const prefix = candidatePrefix(this.options.path, nonce);
    let path: string;
    try {
      // Not cancelled by `stop`: a create cut short may still apply, so its outcome is awaited.
      path = await this.createCandidate(connection, prefix, encodeRecord(id, value));
    } catch (error) {
      if (hasCode(error, ZK.ZSESSIONEXPIRED)) {
        grant.lease.lose('expired');
        return undefined;
      }
      if (isTransient(error)) this.removeLost(grant, nonce);
      throw error;
    }
    connection.ownNodes.add(path);
    const name = path.slice(path.lastIndexOf('/') + 1);
    let stat: NativeStat | undefined;
    try {
      stat = await connection.exists(path, stop);
    } catch (error) {
      if (!(await this.discardPath(connection, path))) this.removeLost(grant, nonce);
      throw error;
    }
    if (!stat || stat.ephemeralOwner !== connection.sessionId) {
      // Deleted from outside already, or not on our session: start over with a new node.
      connection.ownNodes.delete(path);
      return undefined;
    }
    const candidate: Candidate = { id, path, name, token: BigInt(stat.czxid), grant };
    if (this.options.authenticated) {
      try {
        await connection.setAcl(path, -1, PROTECTED_ACL, stop);
      } catch (error) {
        await this.discard(candidate);
        throw error;
      }
    }
    if (stop.aborted) {
      await this.discard(candidate);
      throw toAbortError(stop);
    }
    return candidate;
  }

  /** Removes a candidate node we gave up on, only if it is still ours; retried while its session lives, never throws. */
  async discard(candidate: Candidate): Promise<void> {
    await this.removeWhileSessionLives(candidate.grant, () => this.deleteIfOurs(candidate));
  }

  /** The term's release: a guarded delete, retried in the background while the session lives. */
  async release(candidate: Candidate, signal: AbortSignal): Promise<void> {
    try {
      await this.deleteIfOurs(candidate, signal);
    } catch (error) {
      // The session outlives this term (other elections share it): do not leave the node
      // behind for the successors to wait on.
      void this.removeWhileSessionLives(candidate.grant, () => this.deleteIfOurs(candidate));
      throw error;
    }
  }

  /** Writes a new value onto our node, guarded by its czxid and owner, with a versioned set. */
  async proclaim(candidate: Candidate, value: string, signal: AbortSignal): Promise<void> {
    const connection = candidate.grant.id;
    const deposed = (): LeadershipLostError => new LeadershipLostError('deposed', 'the leader node is no longer ours');
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!candidate.grant.lease.isValid) throw new LeadershipLostError('expired');
      let written: NativeStat;
      try {
        const stat = await connection.exists(candidate.path, signal);
        if (!isOurs(stat, candidate) || !stat) throw deposed();
        written = await connection.set(candidate.path, encodeRecord(candidate.id, value), stat.version, signal);
      } catch (error) {
        if (error instanceof LeadershipLostError) throw error;
        if (hasCode(error, ZK.ZNONODE)) throw deposed();
        if (hasCode(error, ZK.ZBADVERSION)) continue;
        throw toBatonError(error, 'proclaim');
      }
      if (!isOurs(written, candidate)) throw deposed();
      return;
    }
    throw new BackendUnavailableError('proclaim kept racing with other writes to the leader node');
  }

  private async createCandidate(connection: ZkConnection, prefix: string, data: string): Promise<string> {
    try {
      return await connection.create(prefix, data, ZK.ZOO_EPHEMERAL_SEQUENTIAL);
    } catch (error) {
      if (!hasCode(error, ZK.ZNONODE)) throw error;
    }
    await this.ensureElectionNode(connection);
    return connection.create(prefix, data, ZK.ZOO_EPHEMERAL_SEQUENTIAL);
  }

  /** Creates the election node and its ancestors, persistent, and leaves them in place. */
  private async ensureElectionNode(connection: ZkConnection): Promise<void> {
    for (const path of ancestry(this.options.path)) {
      try {
        await connection.create(path, '', ZK.ZOO_PERSISTENT);
        if (path === this.options.path && this.options.authenticated) await connection.setAcl(path, -1, PROTECTED_ACL);
      } catch (error) {
        if (!hasCode(error, ZK.ZNODEEXISTS)) throw error;
      }
    }
  }

  /**
   * The reply to a create was lost: the node may exist on our live session, and would one
   * day lead with nobody behind it. Find it by its nonce and delete it, retrying while the
   * session lives (once it ends, the server deletes the node anyway).
   */
  private removeLost(grant: LeaseGrant<ZkConnection>, nonce: string): void {
    const marker = `${NODE_PREFIX}${nonce}_`;
    const connection = grant.id;
    void this.removeWhileSessionLives(grant, async () => {
      const children = (await connection.children(this.options.path)) ?? [];
      let removed = true;
      for (const child of children.filter((name) => name.startsWith(marker))) {
        removed = (await this.discardPath(connection, `${this.options.path}/${child}`)) && removed;
      }
      if (!removed) throw new Error('a node whose create reply was lost is still there');
    });
  }

  /** Past the lease's deadline the session is being closed, which deletes its nodes: retry only before that. */
  private removeWhileSessionLives(grant: LeaseGrant<ZkConnection>, remove: () => Promise<void>): Promise<void> {
    const { id: connection, lease } = grant;
    return removeAbandoned(
      {
        get isValid() {
          return !connection.ended && lease.isValid;
        },
      },
      remove,
      (err) =>
        this.options.logger.debug(
          { election: this.options.election, err },
          'could not remove an abandoned candidate node; retrying',
        ),
    );
  }

  /** Deletes a node of ours by path (its nonce makes it unique); false when that could not be done. */
  private async discardPath(connection: ZkConnection, path: string): Promise<boolean> {
    try {
      const stat = await connection.exists(path);
      if (stat && stat.ephemeralOwner === connection.sessionId) await connection.delete(path, stat.version);
      connection.ownNodes.delete(path);
      return true;
    } catch (error) {
      if (hasCode(error, ZK.ZNONODE)) {
        connection.ownNodes.delete(path);
        return true;
      }
      this.options.logger.debug({ election: this.options.election, err: error }, 'could not remove a candidate node');
      return false;
    }
  }

  /** A versioned delete of our node, only while it is still ours: never a successor's. */
  private async deleteIfOurs(candidate: Candidate, signal?: AbortSignal): Promise<void> {
    const connection = candidate.grant.id;
    // A session past its deadline is about to be closed, which deletes the node; a request
    // on it now could only find a dead socket.
    if (!candidate.grant.lease.isValid) return;
    for (let attempt = 0; attempt < 3; attempt++) {
      const stat = await connection.exists(candidate.path, signal);
      if (!isOurs(stat, candidate) || !stat) {
        connection.ownNodes.delete(candidate.path);
        return;
      }
      try {
        await connection.delete(candidate.path, stat.version, signal);
        connection.ownNodes.delete(candidate.path);
        return;
      } catch (error) {
        if (hasCode(error, ZK.ZNONODE)) {
          connection.ownNodes.delete(candidate.path);
          return;
        }
        // Our own concurrent proclaim moved the version on: look again.
        if (!hasCode(error, ZK.ZBADVERSION)) throw error;
      }
    }
  }
}
