import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultOptions, runDemo } from '../../examples/billing/src/driver.js';
import { type BackendKind, describeBackend, type ServerHandle, startServer } from '../backends/index.js';

// The billing demo's story with every worker in its own process, against a real server:
// the leader is killed with SIGKILL after the provider took the money and before the
// ledger recorded it; its successor is stopped with SIGSTOP between its ledger claim and its
// provider call, and continued (SIGCONT) after a third worker has finished that invoice. On
// PostgreSQL the ledger is in the same database and its writes are fenced by assert_leader.

const KINDS: readonly BackendKind[] = ['etcd', 'zookeeper', 'consul', 'redis', 'postgres'];

/** Consul's default lock-delay (15 s) would only slow the failover down; fencing is what protects the ledger. */
function demoUrl(kind: BackendKind, url: string): string {
  return kind === 'consul' ? `${url}${url.includes('?') ? '&' : '?'}lockDelay=0` : url;
}

for (const kind of KINDS) {
  describeBackend(kind)(`billing demo on ${kind} (worker processes)`, () => {
    let server: ServerHandle | undefined;

    beforeAll(async () => {
      server = await startServer(kind);
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
    }, 60_000);

    it('charges every invoice exactly once through a SIGKILL and a SIGSTOP of the leader', async () => {
      if (!server) throw new Error(`no ${kind} server`);
      const report = await runDemo(defaultOptions(demoUrl(kind, server.url)));
      expect(report.notes).toEqual([]);
      expect(report.mode).toBe('processes');
      expect(report.complete).toBe(true);
      expect(report.faults.map((fault) => `${fault.kind}:${fault.how}`)).toEqual(['crash:SIGKILL', 'freeze:SIGSTOP']);
      expect(report.failovers).toHaveLength(2);
      for (const failover of report.failovers) {
        expect(failover.to.worker).not.toBe(failover.from.worker);
        expect(BigInt(failover.to.token)).toBeGreaterThan(BigInt(failover.from.token));
      }
      expect(report.duplicates).toBe(0);
      expect(report.chargesAccepted).toBe(report.invoices);
      expect(report.chargedInLedger).toBe(report.invoices);
      expect(report.exactlyOnce).toBe(true);
      expect(report.staleWritesRejected).toBeGreaterThanOrEqual(1);
      expect(report.rejections).toContainEqual(
        expect.objectContaining({ worker: report.faults[1]?.worker, invoice: report.faults[1]?.invoice }),
      );
      expect(report.idempotentReplays).toBeGreaterThanOrEqual(2);
    }, 300_000);

    if (kind === 'redis') {
      it('negative control: with both layers off, the SIGSTOPped leader charges a customer twice', async () => {
        if (!server) throw new Error(`no ${kind} server`);
        const report = await runDemo({
          ...defaultOptions(demoUrl(kind, server.url)),
          fencing: false,
          idempotency: false,
          invoices: 30,
        });
        expect(report.notes).toEqual([]);
        expect(report.complete).toBe(true);
        expect(report.duplicates).toBeGreaterThan(0);
        expect(report.duplicateInvoices).toContain(report.faults[1]?.invoice);
      }, 300_000);
    }
  });
}
