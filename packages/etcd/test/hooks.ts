import type { StoreHooks } from '@baton/conformance';
import type { Backend } from '@baton/core';
import etcd3 from 'etcd3';
import { EtcdBackend } from '../src/backend.js';
import { electionPrefix, prefixRangeEnd } from '../src/keys.js';
import { DEFAULT_PREFIX } from '../src/url.js';

/** The etcd3 client internals breakWatches reaches into: the one watch stream a client multiplexes. */
interface WatchManagerInternals {
  readonly watchManager?: { readonly stream?: { cancel(): void } };
}

function backendOf(backend: Backend): EtcdBackend {
  if (!(backend instanceof EtcdBackend)) throw new Error(`not an etcd backend: ${backend.kind}`);
  return backend;
}

export interface EtcdHooks {
  readonly hooks: StoreHooks;
  /** Revokes the lease of the leader's key from outside, as its expiry would: the leader's client loses every key on it. */
  revokeLeaderLease(election: string): Promise<void>;
  close(): void;
}

/**
 * Store hooks for etcd, acting from outside the client under test through a separate raw
 * etcd3 client on the same cluster. They take Baton's key layout from the adapter's own
 * `keys.ts`: `${prefix}/${election}/@/${leaseHex}-${seq}`, leader = lowest create revision.
 * A third-party adapter's conformance run looks like this file and `conformance.test.ts`.
 *
 * @param hosts `http://host:port` of the cluster members.
 * @param ttlMs the ttl of the outsider's lease in overwriteLeaderKey.
 */
export function etcdHooks(hosts: readonly string[], ttlMs: number, prefix = DEFAULT_PREFIX): EtcdHooks {
  const client = new etcd3.Etcd3({ hosts: [...hosts] });
  const deadline = (): { deadline: number } => ({ deadline: Date.now() + 5_000 });

  /** The leader's key (lowest create revision under the election) and the lease it is on. */
  const leaderKeyOf = async (election: string): Promise<{ key: Buffer; lease: string } | undefined> => {
    const start = Buffer.from(electionPrefix(prefix, election));
    const response = await client.kv.range(
      {
        key: start,
        range_end: prefixRangeEnd(start),
        sort_order: etcd3.SortOrder.Ascend,
        sort_target: etcd3.SortTarget.Create,
        limit: 1,
        keys_only: true,
      },
      deadline(),
    );
    return response.kvs[0];
  };
  const leaderKey = async (election: string): Promise<Buffer | undefined> => (await leaderKeyOf(election))?.key;

  const hooks: StoreHooks = {
    // Revoking the lease is what its expiry does in etcd: the lease and every key on it go.
    async expireSession(backend) {
      const leaseId = backendOf(backend).leaseId;
      if (leaseId === undefined) throw new Error('the client holds no lease');
      await client.leaseClient.leaseRevoke({ ID: leaseId }, deadline());
    },
    async deleteLeaderKey(election) {
      const key = await leaderKey(election);
      if (!key) throw new Error(`election ${election} has no leader key`);
      await client.kv.deleteRange({ key }, deadline());
    },
    // A put keeps the key's create revision; it takes the key onto an outsider's lease of ttl.
    async overwriteLeaderKey(election) {
      const key = await leaderKey(election);
      if (!key) throw new Error(`election ${election} has no leader key`);
      const lease = await client.leaseClient.leaseGrant({ TTL: Math.ceil(ttlMs / 1_000) }, deadline());
      await client.kv.put(
        { key, value: Buffer.from(JSON.stringify({ id: 'outsider', value: 'overwritten' })), lease: lease.ID },
        deadline(),
      );
    },
    // Moves the store's revision on, compacts all history up to it, and drops the client's watch
    // stream: the etcd3 client re-attaches its watches from revisions that no longer exist, etcd
    // cancels them as compacted, and the observer must re-subscribe and re-read.
    async breakWatches(backend) {
      const etcd = backendOf(backend).client;
      const bump = Buffer.from(`${prefix}-hooks/bump`);
      await client.kv.put({ key: bump, value: Buffer.from('1') }, deadline());
      const put = await client.kv.put({ key: bump, value: Buffer.from('2') }, deadline());
      await client.kv.compact({ revision: put.header.revision, physical: true }, deadline());
      (etcd as unknown as WatchManagerInternals).watchManager?.stream?.cancel();
    },
    // etcd_debugging_lease_renewed_total: the lease keepalives the etcd leader applied, from every client.
    async renewalCount() {
      let total = 0;
      for (const host of hosts) {
        const response = await fetch(`${host}/metrics`, { signal: AbortSignal.timeout(5_000) });
        const text = await response.text();
        const match = /^etcd_debugging_lease_renewed_total (\S+)$/m.exec(text);
        if (match?.[1]) total += Number(match[1]);
      }
      return total;
    },
  };
  return {
    hooks,
    async revokeLeaderLease(election) {
      const leader = await leaderKeyOf(election);
      if (!leader || leader.lease === '0') throw new Error(`election ${election} has no leader key on a lease`);
      await client.leaseClient.leaseRevoke({ ID: leader.lease }, deadline());
    },
    close: () => client.close(),
  };
}
