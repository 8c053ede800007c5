import { afterAll, beforeAll, expect, it } from 'vitest';
import { driverFor } from './drivers.js';
import { type ClusterHandle, describeBackend, startCluster } from './index.js';
import { waitUntil } from './process.js';
import type { ClusterKind } from './types.js';

for (const kind of ['etcd', 'zookeeper', 'consul'] as const satisfies readonly ClusterKind[]) {
  describeBackend(kind)(`${kind} cluster of 3 (smoke)`, () => {
    let cluster: ClusterHandle | undefined;
    const { ready } = driverFor(kind);
    if (!ready) throw new Error(`the ${kind} driver has no ready probe`);

    beforeAll(async () => {
      cluster = await startCluster(kind, 3);
    }, 60_000);

    afterAll(async () => {
      await cluster?.stop();
    }, 30_000);

    it('names every member in its url, each with a pid of its own', { timeout: 10_000 }, async () => {
      if (!cluster) throw new Error('no cluster');
      const ports = cluster.members.map((member) => member.port);
      expect(new Set(ports).size).toBe(3);
      expect(cluster.url).toBe(`${kind}://${cluster.members.map((m) => `${m.host}:${m.port}`).join(',')}`);
      expect(new Set(cluster.members.map((member) => member.pid)).size).toBe(3);
      for (const member of cluster.members) expect(await ready(member.host, member.port)).toBe(true);
    });

    it('keeps a leader while one member is down, and takes it back after restart()', { timeout: 60_000 }, async () => {
      if (!cluster) throw new Error('no cluster');
      const [down, ...rest] = cluster.members;
      if (!down) throw new Error('no members');
      await down.kill();
      expect(down.pid).toBeUndefined();
      for (const member of rest) {
        await waitUntil(() => ready(member.host, member.port), {
          what: `${kind} survivor ${member.port}`,
          timeoutMs: 20_000,
        });
      }
      await down.restart();
      expect(await ready(down.host, down.port)).toBe(true);
    });
  });
}
