import { describe, expect, it } from 'vitest';
import { removeAbandoned, sleep } from '../src/adapter.js';

const unreachable = (): Promise<void> => Promise.reject(new Error('store unreachable'));

describe('removeAbandoned', () => {
  it('removes at once when the store answers, and tries no more', async () => {
    let calls = 0;
    await removeAbandoned(
      { isValid: true },
      async () => {
        calls++;
      },
      () => undefined,
    );
    await sleep(300);
    expect(calls).toBe(1);
  });

  it('a removal that fails while the lease lives is retried until it succeeds, so nothing is left on the live lease', async () => {
    let calls = 0;
    let removed = false;
    const failures: unknown[] = [];
    await removeAbandoned(
      { isValid: true },
      async () => {
        calls++;
        if (calls < 3) throw new Error('store unreachable');
        removed = true;
      },
      (error) => failures.push(error),
    );
    expect(removed).toBe(false);
    const deadline = Date.now() + 5_000;
    while (!removed && Date.now() < deadline) await sleep(20);
    expect(removed).toBe(true);
    expect(failures).toHaveLength(2);
  });

  it('stops trying once the lease ends (the store removes what it held)', async () => {
    const holder = { isValid: true };
    let calls = 0;
    await removeAbandoned(
      holder,
      () => {
        calls++;
        return unreachable();
      },
      () => undefined,
    );
    holder.isValid = false;
    await sleep(1_500);
    expect(calls).toBeLessThanOrEqual(2);
    const after = calls;
    await sleep(1_200);
    expect(calls).toBe(after);
  });

  it('never rejects, even when every try fails', async () => {
    await expect(removeAbandoned({ isValid: false }, unreachable, () => undefined)).resolves.toBeUndefined();
  });
});
