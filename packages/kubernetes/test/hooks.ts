import type { StoreHooks } from '@baton/conformance';
import type { Backend } from '@baton/core';
import type { KubernetesServer } from '../../../test/backends/index.js';
import { KubernetesBackend } from '../src/backend.js';
import { leaseNameOf } from '../src/lease-name.js';

function backendOf(backend: Backend): KubernetesBackend {
  if (!(backend instanceof KubernetesBackend)) throw new Error(`not a kubernetes backend: ${backend.kind}`);
  return backend;
}

interface LeaseJson {
  metadata: { name: string; resourceVersion: string; annotations?: Record<string, string> };
  spec: { holderIdentity?: string; leaseTransitions?: number; [field: string]: unknown };
}

/** A MicroTime, as client-go writes one: six fractional digits, UTC. */
function microTime(date = new Date()): string {
  return `${date.toISOString().slice(0, -1)}000Z`;
}

/** The PUTs on Leases the API server has served, from every client, summed over response codes. */
export function leaseUpdates(metrics: string): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    if (!line.includes('resource="leases"') || !line.includes('verb="PUT"')) continue;
    if (!line.includes('group="coordination.k8s.io"')) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/**
 * Store hooks for Kubernetes, acting from outside the client under test as the harness's admin
 * user (the client itself runs as the least-privileged elector). They know Baton's layout: an
 * election is the Lease named by leaseNameOf(election) in the server's test namespace.
 */
export function kubernetesHooks(server: KubernetesServer, ttlMs: number): StoreHooks {
  const leasePath = (name: string) =>
    `/apis/coordination.k8s.io/v1/namespaces/${server.namespace}/leases/${encodeURIComponent(name)}`;
  const call = async (method: string, path: string, body?: unknown): Promise<string> => {
    const { status, text } = await server.asAdmin(method, path, body, 5_000);
    if (status < 200 || status > 299) throw new Error(`${method} ${path}: HTTP ${status} ${text.slice(0, 300)}`);
    return text;
  };
  return {
    // A Lease has no session to expire: what an expiry does elsewhere, the Leases this client
    // holds disappearing does here. Deleting them is that; a waiter then still waits out the
    // holder it saw, as it does after any deletion. A waiting candidate holds nothing, so for
    // a waiter this does nothing.
    async expireSession(backend) {
      for (const name of backendOf(backend).heldLeases) await call('DELETE', leasePath(name));
    },
    async deleteLeaderKey(election) {
      await call('DELETE', leasePath(leaseNameOf(election)));
    },
    // An outsider takes the Lease as a client-go candidate would and never renews it: observers
    // let it run out after its leaseDurationSeconds (the target's ttl).
    async overwriteLeaderKey(election) {
      const path = leasePath(leaseNameOf(election));
      const lease = JSON.parse(await call('GET', path)) as LeaseJson;
      const now = microTime();
      await call('PUT', path, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: 'outsider',
          leaseDurationSeconds: Math.ceil(ttlMs / 1_000),
          acquireTime: now,
          renewTime: now,
          leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1,
        },
      });
    },
    // The API server has no call that ends one client's watch: the client cuts its own
    // connection, as a dropped connection would.
    async breakWatches(backend) {
      backendOf(backend).interruptWatches();
    },
    // The API server counts the requests it served, by resource and verb (/metrics); every
    // renewal is a PUT on a Lease.
    async renewalCount() {
      return leaseUpdates(await call('GET', '/metrics'));
    },
  };
}
