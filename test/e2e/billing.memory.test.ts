import { describe, expect, it } from 'vitest';
import { type DemoOptions, defaultOptions, runDemo } from '../../examples/billing/src/driver.js';
import type { DemoReport } from '../../examples/billing/src/report.js';

// The billing demo's story, in one process on the memory backend: the leader crashes after
// the provider took the money but before the ledger recorded it, its successor is frozen
// between its ledger claim and its provider call, and wakes up after a third worker has
// finished that invoice.

let runs = 0;

function options(overrides: Partial<DemoOptions> = {}): DemoOptions {
  runs += 1;
  return { ...defaultOptions(`memory://billing-e2e-${process.pid}-${runs}`), ...overrides };
}

function expectStory(report: DemoReport): void {
  expect(report.notes).toEqual([]);
  expect(report.complete).toBe(true);
  expect(report.faults.map((fault) => fault.kind)).toEqual(['crash', 'freeze']);
  expect(report.failovers).toHaveLength(2);
  for (const [index, failover] of report.failovers.entries()) {
    expect(failover.from.worker).toBe(report.faults[index]?.worker);
    expect(failover.to.worker).not.toBe(failover.from.worker);
    expect(BigInt(failover.to.token)).toBeGreaterThan(BigInt(failover.from.token));
  }
  const tokens = report.leaders.map((leader) => BigInt(leader.token));
  for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] ?? 0n);
  expect(report.chargedInLedger).toBe(report.invoices);
}

describe('billing demo on memory (in process)', () => {
  it('charges every invoice exactly once through a crash and a freeze of the leader', async () => {
    const report = await runDemo(options());
    expectStory(report);
    expect(report.duplicates).toBe(0);
    expect(report.chargesAccepted).toBe(report.invoices);
    expect(report.exactlyOnce).toBe(true);
    // Fencing caught the frozen leader's late ledger write...
    expect(report.staleWritesRejected).toBeGreaterThanOrEqual(1);
    const frozen = report.faults[1];
    expect(report.rejections).toContainEqual(
      expect.objectContaining({ worker: frozen?.worker, op: 'mark-charged', invoice: frozen?.invoice }),
    );
    // ...and the provider's idempotency caught the two charges no fence can stop: the
    // successor's retry of the crashed leader's invoice, and the frozen leader's late charge.
    expect(report.idempotentReplays).toBeGreaterThanOrEqual(2);
    expect(report.replays.map((replay) => replay.invoice)).toEqual(
      expect.arrayContaining(report.faults.map((fault) => fault.invoice)),
    );
  }, 120_000);

  it('negative control: with both layers off, the frozen leader charges a customer twice', async () => {
    const report = await runDemo(options({ fencing: false, idempotency: false, invoices: 30 }));
    expectStory(report);
    expect(report.staleWritesRejected).toBe(0);
    expect(report.idempotentReplays).toBe(0);
    expect(report.duplicates).toBeGreaterThan(0);
    expect(report.duplicateInvoices).toContain(report.faults[1]?.invoice);
    expect(report.chargesAccepted).toBe(report.invoices + report.duplicates);
    expect(report.exactlyOnce).toBe(false);
    expect(report.lateWrites.join()).toContain('ACCEPTED');
  }, 120_000);

  it('fencing alone cannot close the window between the ledger claim and the provider call', async () => {
    const report = await runDemo(options({ idempotency: false, invoices: 30 }));
    expectStory(report);
    expect(report.staleWritesRejected).toBeGreaterThanOrEqual(1);
    expect(report.duplicateInvoices).toContain(report.faults[1]?.invoice);
  }, 120_000);

  it('idempotency alone prevents the double charge but lets the stale leader overwrite the ledger', async () => {
    const report = await runDemo(options({ fencing: false, invoices: 30 }));
    expectStory(report);
    expect(report.duplicates).toBe(0);
    expect(report.staleWritesRejected).toBe(0);
    expect(report.lateWrites.join()).toContain('ACCEPTED');
  }, 120_000);
});
