import { type LeaderInfo, raceAbort, withTimeout } from '@baton/core/adapter';
import etcd3, {
  type Etcd3,
  type ICompare,
  type IKeyValue,
  type IRangeRequest,
  type IRequestOp,
  type ITxnResponse,
} from 'etcd3';
import { toBatonError } from './errors.js';
import { encodeValue, leaderInfo, prefixRangeEnd } from './keys.js';

const { CompareResult, CompareTarget, SortOrder, SortTarget } = etcd3;

/** What the create transaction learned: our key's create revision, and whether it already leads. */
export interface Created {
  readonly createRevision: bigint;
  /** The store's revision when the transaction applied. */
  readonly revision: bigint;
  /** True when our key had the lowest create revision of the election at that revision. */
  readonly leads: boolean;
}

type CallOptions = { deadline: number };

/**
 * The etcd primitives Baton's election uses, each one bounded round trip: a raw KV/Lease
 * call with a gRPC deadline, raced against the caller's signal, errors mapped to Baton's.
 */
export class EtcdStore {
  readonly client: Etcd3;
  readonly requestTimeoutMs: number;

  constructor(client: Etcd3, requestTimeoutMs: number) {
    this.client = client;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  /** One round trip, bounded by requestTimeoutMs and `signal`. */
  async call<T>(
    what: string,
    run: (options: CallOptions, signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const timeoutMs = this.requestTimeoutMs;
    try {
      return await withTimeout(
        what,
        timeoutMs,
        (bound) => {
          const pending = run({ deadline: Date.now() + timeoutMs }, bound);
          return raceAbort(pending, bound);
        },
        signal,
      );
    } catch (error) {
      if (signal?.aborted) throw error;
      throw toBatonError(error, what);
    }
  }

  async grantLease(ttlSeconds: number, signal?: AbortSignal): Promise<{ id: string; ttlSeconds: number }> {
    const response = await this.call(
      'lease grant',
      (options) => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds }, options),
      signal,
    );
    if (response.error) throw toBatonError(new Error(response.error), 'lease grant');
    return { id: response.ID, ttlSeconds: Number(response.TTL) };
  }

  async revokeLease(id: string, signal?: AbortSignal): Promise<void> {
    await this.call('lease revoke', (options) => this.client.leaseClient.leaseRevoke({ ID: id }, options), signal);
  }

  /**
   * One keepalive on a short-lived LeaseKeepAlive stream; resolves with the ttl (seconds)
   * the server restarted, 0 when it no longer knows the lease.
   */
  keepAliveOnce(id: string, signal?: AbortSignal): Promise<number> {
    return this.call(
      'lease keepalive',
      async (options, bound) => {
        const stream = await this.client.leaseClient.leaseKeepAlive(options);
        const signal = bound;
        return new Promise<number>((resolve, reject) => {
          let settled = false;
          const settle = (outcome: () => void): void => {
            if (settled) return;
            settled = true;
            signal.removeEventListener('abort', onAbort);
            // end() before anything else: it clears `writable`, so the etcd3 pool does not count
            // our own cancel as a host failure.
            stream.end();
            outcome();
          };
          const onAbort = (): void =>
            settle(() => {
              stream.cancel();
              reject(signal.reason);
            });
          // Stays attached: a stream emitting 'error' with no listener would crash the process.
          stream.on('error', (error: Error) => settle(() => reject(etcd3.castGrpcError(error))));
          stream.on('data', (response) => settle(() => resolve(Number(response.TTL))));
          stream.on('end', () => settle(() => reject(new Error('keepalive stream ended without an answer'))));
          if (signal.aborted) onAbort();
          else {
            signal.addEventListener('abort', onAbort, { once: true });
            stream.write({ ID: id });
          }
        });
      },
      signal,
    );
  }

  /**
   * Puts our candidate key on our lease, in a transaction that also reads the election's
   * current owner (lowest create revision). If an earlier attempt of this same transaction
   * already applied (a retried call), the key exists on our lease and is adopted.
   */
  async createCandidate(
    electionPrefix: Buffer,
    key: Buffer,
    value: Buffer,
    leaseId: string,
    signal?: AbortSignal,
  ): Promise<Created | undefined> {
    const owner: IRangeRequest = {
      key: electionPrefix,
      range_end: prefixRangeEnd(electionPrefix),
      sort_order: SortOrder.Ascend,
      sort_target: SortTarget.Create,
      limit: 1,
      keys_only: true,
    };
    const response = await this.txn(
      'campaign',
      [{ key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
      [{ request_put: { key, value, lease: leaseId } }, { request_range: owner }, { request_range: { key } }],
      [{ request_range: { key } }, { request_range: owner }],
      signal,
    );
    const revision = BigInt(response.header.revision);
    // success: [put, owner, own key]; failure: [own key, owner].
    const own = response.responses[response.succeeded ? 2 : 0]?.response_range?.kvs[0];
    if (!own || own.lease !== leaseId) return undefined;
    const head = response.responses[1]?.response_range?.kvs[0];
    return {
      createRevision: BigInt(own.create_revision),
      revision,
      leads: head?.key.equals(key) === true,
    };
  }

  /**
   * In one read (a transaction without compares, so one revision): the candidate just
   * before `createRevision` in the election, if any, and our own key.
   */
  async turn(
    electionPrefix: Buffer,
    key: Buffer,
    createRevision: bigint,
    signal?: AbortSignal,
  ): Promise<{ predecessor: IKeyValue | undefined; own: IKeyValue | undefined; revision: bigint }> {
    const predecessor: IRangeRequest = {
      key: electionPrefix,
      range_end: prefixRangeEnd(electionPrefix),
      max_create_revision: (createRevision - 1n).toString(),
      sort_order: SortOrder.Descend,
      sort_target: SortTarget.Create,
      limit: 1,
      keys_only: true,
    };
    const response = await this.txn(
      'turn read',
      [],
      [{ request_range: predecessor }, { request_range: { key } }],
      [],
      signal,
    );
    return {
      predecessor: response.responses[0]?.response_range?.kvs[0],
      own: response.responses[1]?.response_range?.kvs[0],
      revision: BigInt(response.header.revision),
    };
  }

  /** How many keys start with `prefix`. */
  async countUnder(prefix: Buffer, signal?: AbortSignal): Promise<number> {
    const response = await this.call(
      'read',
      (options) => this.client.kv.range({ key: prefix, range_end: prefixRangeEnd(prefix), count_only: true }, options),
      signal,
    );
    return Number(response.count);
  }

  /** One key, linearizable, with the revision read at. */
  async get(key: Buffer, signal?: AbortSignal): Promise<{ kv: IKeyValue | undefined; revision: bigint }> {
    const response = await this.call('read', (options) => this.client.kv.range({ key }, options), signal);
    return { kv: response.kvs[0], revision: BigInt(response.header.revision) };
  }

  /** The election's leader: its key with the lowest create revision (a linearizable read). */
  async leader(electionPrefix: Buffer, signal?: AbortSignal): Promise<LeaderInfo | undefined> {
    const response = await this.call(
      'leader read',
      (options) =>
        this.client.kv.range(
          {
            key: electionPrefix,
            range_end: prefixRangeEnd(electionPrefix),
            sort_order: SortOrder.Ascend,
            sort_target: SortTarget.Create,
            limit: 1,
          },
          options,
        ),
      signal,
    );
    const head = response.kvs[0];
    return head ? leaderInfo(head) : undefined;
  }

  /** Writes a new value on our key if it still has our create revision and lease. */
  async proclaim(
    key: Buffer,
    createRevision: bigint,
    leaseId: string,
    id: string,
    value: string,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const response = await this.txn(
      'proclaim',
      ownedBy(key, createRevision, leaseId),
      [{ request_put: { key, value: encodeValue(id, value), lease: leaseId } }],
      [],
      signal,
    );
    return response.succeeded;
  }

  /** Deletes `key` only if it still has this create revision (and lease, when given). */
  async deleteIfOwned(key: Buffer, createRevision: bigint, leaseId: string, signal?: AbortSignal): Promise<boolean> {
    const response = await this.txn(
      'release',
      ownedBy(key, createRevision, leaseId),
      [{ request_delete_range: { key } }],
      [],
      signal,
    );
    return response.succeeded;
  }

  /** Deletes `key` only if it is on `leaseId`: cleans up after a create whose outcome is unknown. */
  async deleteIfLease(key: Buffer, leaseId: string, signal?: AbortSignal): Promise<boolean> {
    const response = await this.txn(
      'cleanup',
      [{ key, target: CompareTarget.Lease, result: CompareResult.Equal, lease: leaseId }],
      [{ request_delete_range: { key } }],
      [],
      signal,
    );
    return response.succeeded;
  }

  private txn(
    what: string,
    compare: ICompare[],
    success: IRequestOp[],
    failure: IRequestOp[],
    signal?: AbortSignal,
  ): Promise<ITxnResponse> {
    return this.call(what, (options) => this.client.kv.txn({ compare, success, failure }, options), signal);
  }
}

/** The guard of every write to a candidate key: same create revision (same key generation), same lease. */
function ownedBy(key: Buffer, createRevision: bigint, leaseId: string): ICompare[] {
  return [
    { key, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: createRevision.toString() },
    { key, target: CompareTarget.Lease, result: CompareResult.Equal, lease: leaseId },
  ];
}
