import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { CandidateEvent, FencedWrite } from '@baton/conformance';
import type { DisconnectPolicy } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { type FaultRecord, loadHistory, type ProcessRecord, type SoakHistory, saveHistory } from './history.js';
import { judge, violations } from './judge.js';

// Synthetic histories on a clock in ms (stored as ns, as the processes report them).
const ns = (ms: number): bigint => BigInt(Math.round(ms * 1e6));
const TTL = 1_000;

function proc(
  id: string,
  events: [number, string, Partial<CandidateEvent>?][],
  signals: [number, NodeJS.Signals][] = [],
  policy: DisconnectPolicy = 'abort',
): ProcessRecord {
  return {
    id,
    slot: Number(id.slice(1, 2)),
    policy,
    events: events.map(([at, event, rest]) => ({ event, id, at: String(ns(at)), ...rest })),
    signals: signals.map(([at, signal]) => ({ signal, at: ns(at) })),
  };
}

/** A term from `from` to `to` (ms), believed valid until `validUntil` (default: until its loss). */
function term(from: number, token: number, to?: number, reason = 'expired', validUntil = (to ?? from) + TTL * 10) {
  const events: [number, string, Partial<CandidateEvent>?][] = [
    [from, 'elected', { token: String(token), validUntil: String(ns(validUntil)) }],
  ];
  if (to !== undefined) events.push([to, 'lost', { token: String(token), reason }]);
  return events;
}

function fault(seq: number, fields: Partial<FaultRecord> & Pick<FaultRecord, 'kind' | 'leaderId'>): FaultRecord {
  const injectedAt = fields.injectedAt ?? ns(0);
  return {
    seq,
    policy: 'abort',
    scope: 'process',
    leaderToken: 1n,
    healedAt: injectedAt,
    owedFrom: injectedAt,
    boundMs: 2_000,
    detail: {},
    injectedAt,
    ...fields,
  };
}

function write(id: string, token: number, at: number, accepted: boolean, stale = false): FencedWrite {
  return { id, token: BigInt(token), at: ns(at), accepted, stale };
}

function history(
  processes: ProcessRecord[],
  faults: FaultRecord[] = [],
  writes: FencedWrite[] = [],
  end = 60_000,
): SoakHistory {
  return {
    meta: {
      backend: 'test',
      seed: 1,
      date: '2026-11-28T00:00:00.000Z',
      ttlMs: TTL,
      candidates: processes.length,
      members: 1,
      minutes: 1,
      worstCaseFailoverMs: 1_100,
      declaredRegression: 'when the store is restored from an old snapshot',
      regressiveFaults: ['store-restart'],
      startedAt: ns(0),
      stoppingAt: ns(end),
      endedAt: ns(end + 100),
      unsupported: {},
    },
    processes,
    writes,
    faults,
  };
}

describe('soak judge', () => {
  it('a clean kill and failover: no finding, the failover measured from the kill', () => {
    const verdict = judge(
      history(
        [proc('c0', term(1_000, 5), [[10_000, 'SIGKILL']]), proc('c1', term(10_800, 6))],
        [fault(1, { kind: 'leader-kill', leaderId: 'c0', leaderToken: 5n, injectedAt: ns(10_000) })],
        [write('c0', 5, 9_000, true), write('c1', 6, 10_900, true)],
      ),
    );
    expect(violations(verdict, { unforcedEnds: true })).toEqual([]);
    expect(verdict.injections).toBe(1);
    expect(verdict.byKind['leader-kill']).toEqual({ abort: 1, 'tolerate-until-deadline': 0 });
    expect(verdict.failovers[0]).toMatchObject({ outcome: 'elected', late: false });
    expect(verdict.failovers[0]?.ms).toBeCloseTo(800);
  });

  it('two processes leading at one instant is an overlap', () => {
    const verdict = judge(history([proc('c0', term(1_000, 5, 5_000)), proc('c1', term(4_000, 6))]));
    expect(verdict.overlaps).toHaveLength(1);
    expect(verdict.overlaps[0]?.ms).toBeCloseTo(1_000);
    expect(violations(verdict, { unforcedEnds: false })).toContain('1 overlapping leaderships');
  });

  it('an overlap after the store was told to forget the leader is reported apart, not failed', () => {
    // The leader's key is deleted at 3 s; a waiter wins at 3.02 s; the old leader hears of it at 3.05 s.
    const processes = [proc('c0', term(1_000, 5, 3_050, 'deposed')), proc('c1', term(3_020, 6))];
    const deleted = fault(1, { kind: 'leader-key-deleted', leaderId: 'c0', leaderToken: 5n, injectedAt: ns(3_000) });
    const verdict = judge(history(processes, [deleted]));
    expect(verdict.overlaps).toEqual([]);
    expect(verdict.forgottenOverlaps).toHaveLength(1);
    expect(verdict.forgottenOverlaps[0]?.ms).toBeCloseTo(30);
    expect(violations(verdict, { unforcedEnds: true })).toEqual([]);
    // An old leader that does not hear of it within a ttl is a finding.
    const deaf = [proc('c0', term(1_000, 5, 4_500, 'deposed')), proc('c1', term(3_020, 6))];
    expect(violations(judge(history(deaf, [deleted])), { unforcedEnds: false })).toEqual([
      '1 leaders still leading a ttl after the store forgot them',
    ]);
    // The same overlap after a fault that does not make the store forget is a finding.
    const killedOther = fault(1, {
      kind: 'leader-pause-short',
      leaderId: 'c0',
      leaderToken: 5n,
      injectedAt: ns(3_000),
    });
    expect(judge(history(processes, [killedOther])).overlaps).toHaveLength(1);
  });

  it('a frozen leader counts as leading only until its own deadline', () => {
    // c0 is frozen at 3 s with a deadline of 3.9 s; it reports the loss only when thawed at 6 s.
    const frozen = proc('c0', term(1_000, 5, 6_000, 'expired', 3_900), [
      [3_000, 'SIGSTOP'],
      [6_000, 'SIGCONT'],
    ]);
    const verdict = judge(history([frozen, proc('c1', term(4_100, 6))]));
    expect(verdict.overlaps).toEqual([]);
    // A successor elected before the frozen leader's deadline overlaps it.
    expect(judge(history([frozen, proc('c1', term(3_500, 6))])).overlaps).toHaveLength(1);
  });

  it('a write accepted after the resource saw a higher token is an accepted stale write', () => {
    const verdict = judge(
      history(
        [proc('c0', term(0, 5, 2_000)), proc('c1', term(2_100, 6))],
        [],
        [write('c0', 5, 1_000, true), write('c1', 6, 2_200, true), write('c0', 5, 2_300, true, true)],
      ),
    );
    expect(verdict.acceptedStaleWrites).toHaveLength(1);
    expect(verdict.staleProbes).toEqual({ sent: 1, refused: 0 });
  });

  it('late writes: refused by the fence, or accepted before the successor wrote', () => {
    const verdict = judge(
      history(
        [proc('c0', term(0, 5, 2_000)), proc('c1', term(2_100, 6))],
        [],
        [
          write('c0', 5, 2_050, true), // before the successor's election: not late
          write('c0', 5, 2_150, true), // after it, before its first write: accepted, in order for the resource
          write('c1', 6, 2_200, true),
          write('c0', 5, 2_300, false, true), // after it: refused
        ],
      ),
    );
    expect(verdict.lateWrites).toEqual({ attempted: 2, refused: 1, acceptedBeforeSuccessor: 1 });
    expect(verdict.acceptedStaleWrites).toEqual([]);
    expect(verdict.staleProbes).toEqual({ sent: 1, refused: 1 });
  });

  it('a token that does not grow is a regression, declared only after a fault the store declares for it', () => {
    const processes = [proc('c0', term(0, 9, 2_000)), proc('c1', term(3_000, 4))];
    const undeclared = judge(history(processes));
    expect(undeclared.regressions).toMatchObject([{ declared: false }]);
    expect(violations(undeclared, { unforcedEnds: false })).toContain('1 undeclared token regressions');
    const restart = fault(1, {
      kind: 'store-restart',
      scope: 'store',
      leaderId: 'c0',
      leaderToken: 9n,
      injectedAt: ns(1_500),
      healedAt: ns(2_500),
      owedFrom: ns(2_500),
      boundMs: 3_100,
    });
    const declared = judge(history(processes, [restart]));
    expect(declared.regressions).toMatchObject([{ declared: true }]);
    expect(violations(declared, { unforcedEnds: false })).toEqual([]);
  });

  it('no leader within the bound after a fault is a liveness failure', () => {
    const verdict = judge(
      history(
        [proc('c0', term(0, 5), [[1_000, 'SIGKILL']]), proc('c1', term(4_000, 6))],
        [fault(1, { kind: 'leader-kill', leaderId: 'c0', leaderToken: 5n, injectedAt: ns(1_000), boundMs: 2_100 })],
      ),
    );
    expect(verdict.failovers[0]).toMatchObject({ outcome: 'elected', late: true });
    expect(violations(verdict, { unforcedEnds: false })).toContain('1 liveness failures (no leader within the bound)');
    const none = judge(
      history(
        [proc('c0', term(0, 5), [[1_000, 'SIGKILL']])],
        [fault(1, { kind: 'leader-kill', leaderId: 'c0', leaderToken: 5n, injectedAt: ns(1_000) })],
      ),
    );
    expect(none.failovers[0]).toMatchObject({ outcome: 'none', late: true });
  });

  it('a leader that keeps its term through a fault rode it out: no failover owed', () => {
    const verdict = judge(
      history(
        [
          proc('c0', term(0, 5), [
            [1_000, 'SIGSTOP'],
            [1_400, 'SIGCONT'],
          ]),
        ],
        [
          fault(1, {
            kind: 'leader-pause-short',
            leaderId: 'c0',
            leaderToken: 5n,
            injectedAt: ns(1_000),
            healedAt: ns(1_400),
          }),
        ],
      ),
    );
    expect(verdict.failovers[0]).toMatchObject({ outcome: 'rode-out', late: false });
    expect(verdict.failoverByKind['leader-pause-short']).toMatchObject({ n: 0, rodeOut: 1 });
  });

  it('a term that lasts until the next fault acts on it rode the earlier fault out, however soon that came', () => {
    const processes = [
      proc('c0', term(0, 5, 1_460, 'resigned'), [
        [1_000, 'SIGSTOP'],
        [1_400, 'SIGCONT'],
      ]),
      proc('c1', term(1_500, 6)),
    ];
    const pause = fault(1, {
      kind: 'leader-pause-short',
      leaderId: 'c0',
      leaderToken: 5n,
      injectedAt: ns(1_000),
      healedAt: ns(1_400),
    });
    const handover = fault(2, { kind: 'leader-resign', leaderId: 'c0', leaderToken: 5n, injectedAt: ns(1_450) });
    const verdict = judge(history(processes, [pause, handover]));
    expect(verdict.failovers.map((f) => f.outcome)).toEqual(['rode-out', 'elected']);
    expect(verdict.failovers[1]?.ms).toBeCloseTo(50);
  });

  it('a term that ends with no fault on its process or the store while it was held is unforced', () => {
    const pause = fault(1, {
      kind: 'store-pause',
      scope: 'store',
      leaderId: 'c0',
      injectedAt: ns(1_000),
      healedAt: ns(2_500),
      owedFrom: ns(2_500),
    });
    // c0 loses during the freeze (forced); c1, elected after the thaw, loses 500 ms later with
    // the store healthy: the flapping after a slow grant.
    const verdict = judge(
      history([proc('c0', term(0, 5, 1_900)), proc('c1', term(2_550, 6, 3_050)), proc('c2', term(3_100, 7))], [pause]),
    );
    expect(verdict.unforcedEnds).toEqual([{ id: 'c1', token: 6n, heldMs: 500, reason: 'expired' }]);
    expect(violations(verdict, { unforcedEnds: false })).toEqual([]);
    expect(violations(verdict, { unforcedEnds: true })).toEqual(['1 unforced term ends']);
  });

  it('a fault on another process does not force a term; a failed injection on it does; the shutdown does', () => {
    const onOther = fault(1, { kind: 'leader-key-deleted', leaderId: 'c9', injectedAt: ns(1_500) });
    expect(judge(history([proc('c0', term(0, 5, 2_000))], [onOther])).unforcedEnds).toHaveLength(1);
    const tried = fault(1, { kind: 'leader-revoked', leaderId: 'c0', injectedAt: ns(1_500), failed: 'HTTP 500' });
    const verdict = judge(history([proc('c0', term(0, 5, 2_000))], [tried]));
    expect(verdict.unforcedEnds).toEqual([]);
    expect(verdict.injections).toBe(0);
    expect(verdict.failedInjections).toBe(1);
    expect(judge(history([proc('c0', term(0, 5, 2_000, 'resigned'))], [], [], 1_900)).unforcedEnds).toEqual([]);
  });

  it('a campaign meant to start inside a store freeze is checked against the campaigning event', () => {
    const freeze = fault(1, {
      kind: 'campaign-in-paused-store',
      scope: 'store',
      leaderId: 'c0',
      targetId: 'c1',
      injectedAt: ns(1_000),
      healedAt: ns(2_400),
      owedFrom: ns(2_400),
    });
    const waiter = proc('c1', [
      [900, 'withdrawn'],
      [1_600, 'campaigning'],
    ]);
    expect(judge(history([proc('c0', term(0, 5)), waiter], [freeze])).campaignsInFreeze).toEqual({
      meant: 1,
      started: 1,
    });
  });

  it('a saved history reads back the same, bigints included', async () => {
    const dir = await mkdtemp(join(os.tmpdir(), 'soak-history-'));
    try {
      const original = history(
        [proc('c0', term(0, 5), [[1_000, 'SIGKILL']]), proc('c1', term(1_500, 6))],
        [fault(1, { kind: 'leader-kill', leaderId: 'c0', leaderToken: 5n, injectedAt: ns(1_000) })],
        [write('c0', 5, 500, true)],
      );
      await saveHistory(join(dir, 'h.json'), original);
      const loaded = await loadHistory(join(dir, 'h.json'));
      expect(loaded).toEqual(original);
      expect(judge(loaded)).toEqual(judge(original));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
