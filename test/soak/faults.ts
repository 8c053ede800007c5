import { sleep } from '@baton/core/adapter';
import type { FaultRecord, InjectedKind } from './history.js';
import type { CandidatePool, Slot } from './pool.js';
import type { SeededRandom } from './random.js';
import type { SoakStore } from './stores/index.js';

/**
 * Allowance on top of the store's declared worst case for a fault on the leader's process: the
 * machine is shared and its scheduler may run a waiter late (the same allowance as case 11).
 */
export const PROCESS_ALLOWANCE_MS = 1_000;
/** For a fault on the store: a client reconnects within its backoff, at most 2 s (as case 13-store-restart). */
export const STORE_ALLOWANCE_MS = 2_000;

export interface FaultContext {
  readonly pool: CandidatePool;
  readonly store: SoakStore;
  readonly random: SeededRandom;
  readonly election: string;
  /** The ttl in force (after the store's ttl policy). */
  readonly ttlMs: number;
  readonly worstCaseFailoverMs: number;
}

/** What an injection reports; the nemesis adds the sequence number, the policy and the leader. */
export type Injection = Omit<FaultRecord, 'seq' | 'kind' | 'policy' | 'leaderId' | 'leaderToken'>;

const now = (): bigint => process.hrtime.bigint();

/** A fault on the leader's process: a successor is owed within the worst case from the injection. */
function onLeader(ctx: FaultContext, injectedAt: bigint, healedAt: bigint, detail: Injection['detail'], extraMs = 0) {
  return {
    scope: 'process',
    injectedAt,
    healedAt,
    owedFrom: injectedAt,
    boundMs: ctx.worstCaseFailoverMs + PROCESS_ALLOWANCE_MS + extraMs,
    detail,
  } as const;
}

/** A fault on the store: a leader is owed within the worst case from the store being back. */
function onStore(ctx: FaultContext, injectedAt: bigint, healedAt: bigint, detail: Injection['detail']) {
  return {
    scope: 'store',
    injectedAt,
    healedAt,
    owedFrom: healedAt,
    boundMs: ctx.worstCaseFailoverMs + STORE_ALLOWANCE_MS,
    detail,
  } as const;
}

/** Cuts the leader's links (blackhole or lost replies) for a drawn time, then heals them. */
async function linkFault(ctx: FaultContext, leader: Slot, mode: 'blackhole' | 'drop-responses'): Promise<Injection> {
  const ms = Math.round(ctx.random.between(ctx.ttlMs, ctx.worstCaseFailoverMs + ctx.ttlMs));
  const injectedAt = now();
  ctx.pool.setLinks(leader, mode);
  await sleep(ms);
  ctx.pool.healLinks(leader);
  // Lost replies: the store still hears the deaf leader, which renews until its own deadline
  // (up to a ttl after its last confirmed renewal) before it steps down.
  return onLeader(ctx, injectedAt, now(), { ms }, mode === 'drop-responses' ? ctx.ttlMs : 0);
}

/** Freezes the leader's process for a drawn time in [from, to) x ttl; a long freeze ends with a stale write. */
async function freezeLeader(ctx: FaultContext, leader: Slot, from: number, to: number): Promise<Injection> {
  const ms = Math.round(ctx.random.between(from * ctx.ttlMs, to * ctx.ttlMs));
  const injectedAt = now();
  ctx.pool.freeze(leader);
  await sleep(ms);
  ctx.pool.thaw(leader);
  const healedAt = now();
  // A write prepared before the freeze and sent only now, with the old token: the fence must
  // refuse it once a successor has written.
  if (from >= 1) leader.current.send('write-stale');
  return onLeader(ctx, injectedAt, healedAt, { ms });
}

async function outside(ctx: FaultContext, act: (election: string) => Promise<void>): Promise<Injection> {
  const injectedAt = now();
  await act(ctx.election);
  return onLeader(ctx, injectedAt, injectedAt, {});
}

/** Freezes the store for a drawn time; a waiter withdrawn beforehand starts its campaign inside the freeze. */
async function campaignInPausedStore(ctx: FaultContext, waiter: Slot): Promise<Injection> {
  const { ttlMs, random, store } = ctx;
  const from = waiter.current.events.length;
  waiter.current.send('withdraw');
  try {
    await waiter.current.waitFor('the waiter to withdraw', 5_000, (e) => e.event === 'withdrawn', from);
  } catch (error) {
    waiter.current.send('campaign');
    throw error;
  }
  const pauseMs = Math.round(random.between(ttlMs + 200, ttlMs * 1.8));
  const campaignAfterMs = Math.round(random.between(ttlMs * 0.2, pauseMs - ttlMs * 0.1));
  const injectedAt = now();
  await store.pause();
  try {
    await sleep(campaignAfterMs);
    waiter.current.send('campaign');
    await sleep(pauseMs - campaignAfterMs);
  } finally {
    await store.resume();
  }
  return { ...onStore(ctx, injectedAt, now(), { pauseMs, campaignAfterMs }), targetId: waiter.current.id };
}

/**
 * The store member the leader talks to (the one its proxies hold most connections to) is killed,
 * stays down for 1-3 ttl, and comes back. Clients of that member must move to another; if it
 * led the store's own cluster, the store elects another, which may give every lease a fresh ttl.
 */
async function loseMember(ctx: FaultContext, leader: Slot): Promise<Injection> {
  const { store, random, ttlMs } = ctx;
  if (!store.member) throw new Error(`${store.kind} runs one server: no member to lose`);
  const links = leader.proxies.map((proxy) => proxy.connectionCount);
  const most = Math.max(...links);
  const index = random.pick(links.flatMap((count, i) => (count === most ? [i] : [])));
  const downMs = Math.round(random.between(ttlMs, 3 * ttlMs));
  const injectedAt = now();
  await store.member.kill(index);
  await sleep(downMs);
  await store.member.restart(index);
  // A successor is owed while the member is down. The declared worst case grows by a store
  // election and a ttl when the store's own leader changes (every lease starts afresh): bounded
  // here by twice the worst case, plus the allowance for a client's reconnect.
  return {
    scope: 'store',
    injectedAt,
    healedAt: now(),
    owedFrom: injectedAt,
    boundMs: 2 * ctx.worstCaseFailoverMs + STORE_ALLOWANCE_MS,
    detail: { member: index, downMs, connections: links.join('/') },
  };
}

/** The leader resigns (it withdraws, then campaigns again at once): a graceful handover. */
export async function handOver(ctx: FaultContext, leader: Slot): Promise<Injection> {
  const from = leader.current.events.length;
  const injectedAt = now();
  leader.current.send('withdraw');
  try {
    await leader.current.waitFor('the leader to resign', 5_000, (e) => e.event === 'withdrawn', from);
  } finally {
    leader.current.send('campaign');
  }
  return onLeader(ctx, injectedAt, now(), {});
}

/** Injects one fault of `kind` aimed at `leader`; resolves when the fault has been healed. */
export async function inject(ctx: FaultContext, kind: InjectedKind, leader: Slot): Promise<Injection> {
  const { pool, store, random, ttlMs } = ctx;
  switch (kind) {
    case 'leader-kill': {
      const injectedAt = now();
      pool.kill(leader);
      return onLeader(ctx, injectedAt, injectedAt, {});
    }
    case 'leader-pause-short':
      return freezeLeader(ctx, leader, 0.2, 0.6);
    case 'leader-pause-long':
      return freezeLeader(ctx, leader, 1.5, 3);
    case 'leader-blackhole':
      return linkFault(ctx, leader, 'blackhole');
    case 'leader-lost-replies':
      return linkFault(ctx, leader, 'drop-responses');
    case 'leader-revoked': {
      const revoke = store.outside.revokeLeader;
      if (!revoke) throw new Error(`${store.kind} cannot revoke a leader from outside`);
      return outside(ctx, revoke);
    }
    case 'leader-key-deleted':
      return outside(ctx, store.outside.deleteLeaderKey);
    case 'store-restart': {
      const injectedAt = now();
      await store.restart();
      return onStore(ctx, injectedAt, now(), {});
    }
    case 'store-pause': {
      const ms = Math.round(random.between(ttlMs * 1.2, ttlMs * 2));
      const injectedAt = now();
      await store.pause();
      try {
        await sleep(ms);
      } finally {
        await store.resume();
      }
      return onStore(ctx, injectedAt, now(), { ms });
    }
    case 'campaign-in-paused-store': {
      const waiter = random.pick(pool.waiters());
      return campaignInPausedStore(ctx, waiter);
    }
    case 'member-loss':
      return loseMember(ctx, leader);
  }
}
