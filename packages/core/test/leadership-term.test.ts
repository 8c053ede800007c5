import { describe, expect, it } from 'vitest';
import { LeadershipTerm, silentLogger, type TermActions } from '../src/adapter.js';
import { LeadershipLostError } from '../src/index.js';

function term(actions: Partial<TermActions> = {}) {
  const calls: string[] = [];
  const subject = new LeadershipTerm({
    election: 'jobs',
    id: 'me',
    token: 7n,
    logger: silentLogger,
    requestTimeoutMs: 500,
    validUntil: () => Number.POSITIVE_INFINITY,
    actions: {
      proclaim: actions.proclaim ?? (async (value) => void calls.push(`proclaim:${value}`)),
      release: actions.release ?? (async () => void calls.push('release')),
    },
  });
  return { subject, calls };
}

describe('LeadershipTerm', () => {
  it('resign aborts the signal before it releases the key, and is idempotent', async () => {
    const order: string[] = [];
    const { subject } = term({
      release: async () => {
        order.push(`release (signal aborted: ${subject.signal.aborted})`);
      },
    });
    subject.signal.addEventListener('abort', () => order.push('abort'));
    await subject.resign();
    await subject.resign();
    expect(order).toEqual(['abort', 'release (signal aborted: true)']);
    expect(await subject.ended).toBe('resigned');
    expect(subject.isLeader).toBe(false);
    expect(subject.signal.reason).toBeInstanceOf(LeadershipLostError);
  });

  it('delivers its end exactly once: the first reason wins', async () => {
    const { subject, calls } = term();
    const heard: string[] = [];
    subject.onEnd((reason) => heard.push(reason));
    expect(subject.end('expired')).toBe(true);
    expect(subject.end('deposed')).toBe(false);
    await subject.resign();
    expect(await subject.ended).toBe('expired');
    expect(heard).toEqual(['expired']);
    expect(calls).toEqual(['release']);
  });

  it('proclaim validates the value, and a store that says "not yours" ends the term as deposed', async () => {
    const { subject } = term({
      proclaim: async () => {
        throw new LeadershipLostError('deposed');
      },
    });
    await expect(subject.proclaim('x'.repeat(4097))).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(subject.isLeader).toBe(true);
    await expect(subject.proclaim('next')).rejects.toMatchObject({ code: 'ERR_LEADERSHIP_LOST', reason: 'deposed' });
    expect(await subject.ended).toBe('deposed');
  });

  it('a release that hangs is bounded by the request timeout', async () => {
    const { subject } = term({ release: () => new Promise<void>(() => {}) });
    const started = Date.now();
    await subject.resign();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('works with await using', async () => {
    const { subject, calls } = term();
    {
      await using held = subject;
      expect(held.isLeader).toBe(true);
    }
    expect(calls).toEqual(['release']);
  });
});

describe('LeadershipTerm deadline', () => {
  it('reads as lost the moment its lease deadline has passed, even before the deadline timer fires', () => {
    let deadline = Number.POSITIVE_INFINITY;
    const subject = new LeadershipTerm({
      election: 'jobs',
      id: 'paused',
      token: 3n,
      logger: silentLogger,
      requestTimeoutMs: 500,
      validUntil: () => deadline,
      actions: { proclaim: async () => {}, release: async () => {} },
    });
    expect(subject.isLeader).toBe(true);
    // As after SIGSTOP/SIGCONT: the deadline is in the past, no timer has run yet.
    deadline = 0;
    expect(subject.signal.aborted).toBe(true);
    expect(subject.isLeader).toBe(false);
    expect(subject.signal.reason).toMatchObject({ code: 'ERR_LEADERSHIP_LOST', reason: 'expired' });
  });
});
