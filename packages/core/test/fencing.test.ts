import { describe, expect, it } from 'vitest';
import { FencingGuard, StaleTokenError } from '../src/index.js';

describe('FencingGuard', () => {
  it('admits equal and higher tokens and rejects lower ones with ERR_STALE_TOKEN', async () => {
    const guard = new FencingGuard();
    guard.admit('invoice/1', 5n);
    guard.admit('invoice/1', 5n);
    guard.admit('invoice/1', 9n);
    expect(() => guard.admit('invoice/1', 8n)).toThrow(StaleTokenError);
    expect(() => guard.admit('invoice/1', 8n)).toThrow(expect.objectContaining({ code: 'ERR_STALE_TOKEN' }));
    expect(guard.highestSeen('invoice/1')).toBe(9n);
    // Resources are independent.
    guard.admit('invoice/2', 1n);
  });

  it('runs a write only when its token is admitted', async () => {
    const guard = new FencingGuard();
    const writes: bigint[] = [];
    await guard.write('ledger', 3n, () => writes.push(3n));
    await expect(guard.write('ledger', 2n, () => writes.push(2n))).rejects.toBeInstanceOf(StaleTokenError);
    expect(writes).toEqual([3n]);
  });

  it('refuses malformed tokens and resources', () => {
    const guard = new FencingGuard();
    expect(() => guard.admit('', 1n)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => guard.admit('r', 0n)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => guard.admit('r', 1 as unknown as bigint)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
