import { afterEach, describe, expect, it } from 'vitest';
import { HttpLedger } from '../../examples/billing/src/http-ledger.js';
import type { Ledger } from '../../examples/billing/src/ledger.js';
import { serveLedger } from '../../examples/billing/src/ledger-server.js';
import type { LocalHttpServer } from '../../examples/billing/src/local-http-server.js';
import { MemoryLedger } from '../../examples/billing/src/memory-ledger.js';

// The billing demo's ledger as the workers reach it: a MemoryLedger in one process, served
// over HTTP on 127.0.0.1, every call made through the HttpLedger client.

const servers: LocalHttpServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function served(fencing = true, invoices = 5): Promise<{ ledger: Ledger; url: string }> {
  const host = new MemoryLedger({ fencing });
  await host.seed(invoices);
  const server = await serveLedger(host);
  servers.push(server);
  return { ledger: new HttpLedger(server.url, { fencing }), url: server.url };
}

describe('billing ledger served over HTTP', () => {
  it('refuses and records a write whose token is below the fence, and keeps the newer record', async () => {
    const { ledger } = await served();
    expect(await ledger.claim(1, 1n, 'old')).toEqual({ kind: 'ok' });
    expect(await ledger.claim(1, 2n, 'new')).toEqual({ kind: 'ok' });
    expect(await ledger.markCharged(1, 2n, 'new', 'ch_new')).toEqual({ kind: 'ok' });

    expect(await ledger.markCharged(1, 1n, 'old', 'ch_old')).toEqual({ kind: 'stale', fence: 2n });

    const [first] = await ledger.invoices();
    expect(first).toMatchObject({ id: 1, status: 'charged', token: 2n, chargeId: 'ch_new', worker: 'new' });
    expect(await ledger.rejectedWrites()).toEqual([
      { invoice: 1, op: 'mark-charged', token: 1n, fence: 2n, worker: 'old' },
    ]);
  });

  it("fences off the previous leader at a new leader's enterTerm, before it touches any invoice", async () => {
    const { ledger } = await served();
    expect(await ledger.enterTerm(5n, 'new')).toEqual({ kind: 'ok' });
    expect(await ledger.claim(3, 4n, 'old')).toEqual({ kind: 'stale', fence: 5n });
    expect(await ledger.enterTerm(4n, 'old')).toEqual({ kind: 'stale', fence: 5n });
    expect(await ledger.statusOf(3)).toBe('due');
    expect((await ledger.rejectedWrites()).map((r) => r.op)).toEqual(['claim', 'enter-term']);
  });

  it('answers conflict, not stale, when the current token finds the invoice no longer its to write', async () => {
    const { ledger } = await served();
    await ledger.claim(2, 3n, 'a');
    await ledger.markCharged(2, 3n, 'a', 'ch_1');
    expect(await ledger.claim(2, 3n, 'a')).toEqual({ kind: 'conflict', status: 'charged' });
    expect(await ledger.markCharged(9, 3n, 'a', 'ch_2')).toEqual({ kind: 'conflict' });
    expect(await ledger.rejectedWrites()).toEqual([]);
  });

  it('accepts a stale write when fencing is off (the negative control)', async () => {
    const { ledger } = await served(false);
    await ledger.enterTerm(7n, 'new');
    await ledger.claim(1, 7n, 'new');
    await ledger.markCharged(1, 7n, 'new', 'ch_new');
    expect(await ledger.markCharged(1, 6n, 'old', 'ch_old')).toEqual({ kind: 'ok' });
    expect((await ledger.invoices())[0]).toMatchObject({ status: 'charged', chargeId: 'ch_old', worker: 'old' });
    expect(await ledger.rejectedWrites()).toEqual([]);
  });

  it('judges concurrent writers by one fence: every refusal names a fence above its token', async () => {
    const { ledger } = await served(true, 40);
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, async (_, index) => {
        const token = BigInt((index % 4) + 1);
        return { token, outcome: await ledger.claim(index + 1, token, `w${token}`) };
      }),
    );
    for (const { token, outcome } of outcomes) {
      if (outcome.kind === 'stale') expect(outcome.fence).toBeGreaterThan(token);
      else expect(outcome).toEqual({ kind: 'ok' });
    }
    const accepted = outcomes.filter(({ outcome }) => outcome.kind === 'ok').length;
    expect(accepted + (await ledger.rejectedWrites()).length).toBe(40);
    expect(await ledger.claim(1, 3n, 'w3')).toEqual({ kind: 'stale', fence: 4n });
  });

  it('keeps tokens beyond the exact range of a JSON number intact', async () => {
    const { ledger } = await served();
    const big = 2n ** 63n - 1n;
    await ledger.claim(1, big, 'a');
    expect(await ledger.claim(2, big - 1n, 'b')).toEqual({ kind: 'stale', fence: big });
    expect((await ledger.invoices())[0]?.token).toBe(big);
  });

  it('answers bad input with 400 naming the field, and an unknown operation with 404', async () => {
    const { url } = await served();
    const post = (path: string, body: string) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    const badToken = await post('/claim', JSON.stringify({ id: 1, token: 'abc', worker: 'w' }));
    expect(badToken.status).toBe(400);
    expect(await badToken.json()).toEqual({ error: expect.stringContaining('token') });

    const badId = await post('/claim', JSON.stringify({ id: -1, token: '1', worker: 'w' }));
    expect(badId.status).toBe(400);
    expect(await badId.json()).toEqual({ error: expect.stringContaining('id') });

    expect((await post('/drop-table', '{}')).status).toBe(404);
  });

  it('fails a call with the status and message when the server refuses it', async () => {
    const { url } = await served();
    await expect(new HttpLedger(url, { fencing: true }).seed(-1)).rejects.toThrow(/seed answered 400: .*count/);
  });
});
