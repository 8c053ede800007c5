import type { Backend, Leadership } from '@baton/core';
import { nowMs } from './stats.js';

export interface ScaleResult {
  readonly elections: number;
  readonly campaignAllMs: number;
  /** Heap growth per election held, in bytes (one process, after a full GC); NaN below 100 elections. */
  readonly bytesPerElection: number;
  /** Renewal requests per second the store served while the client held them. */
  readonly renewalsPerSecond: number | undefined;
  readonly error?: string;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** The JS heap after a full collection; NaN when Node runs without --expose-gc (npm run bench passes it). */
function heapUsed(): number {
  if (!gc) return Number.NaN;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** One client leading `elections` elections at once: time to campaign, memory, renewal traffic. */
export async function measureScale(
  connect: () => Promise<Backend>,
  prefix: string,
  elections: number,
  holdMs: number,
  renewalCount: (() => Promise<number>) | undefined,
  /** Runs after campaigning, before the heap is read: e.g. a metrics scrape, which settles the SDK's storage. */
  settle?: () => Promise<unknown>,
): Promise<ScaleResult> {
  const client = await connect();
  // One election won and resigned first, settled as the held ones will be: what a client
  // builds once (a session, the metric instruments, code loaded on first use) is not a cost
  // per election, and would otherwise be spread over them.
  const warmup = await client.election(`${prefix}/warmup`).campaign();
  await warmup.resign();
  await settle?.();
  const before = heapUsed();
  const started = nowMs();
  let held: Leadership[] = [];
  try {
    const batch = 500;
    for (let i = 0; i < elections; i += batch) {
      const size = Math.min(batch, elections - i);
      held = held.concat(
        await Promise.all(Array.from({ length: size }, (_, j) => client.election(`${prefix}/${i + j}`).campaign())),
      );
    }
    const campaignAllMs = nowMs() - started;
    await settle?.();
    // Below 100 elections the growth is lost in the noise of one process's heap.
    const bytesPerElection = elections >= 100 ? (heapUsed() - before) / elections : Number.NaN;
    const countBefore = await renewalCount?.();
    const holdStart = nowMs();
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    const countAfter = await renewalCount?.();
    const lost = held.filter((l) => !l.isLeader).length;
    const renewalsPerSecond =
      countBefore === undefined || countAfter === undefined
        ? undefined
        : ((countAfter - countBefore) * 1_000) / (nowMs() - holdStart);
    return {
      elections,
      campaignAllMs,
      bytesPerElection,
      renewalsPerSecond,
      ...(lost > 0 ? { error: `${lost} leaderships lost while held` } : {}),
    };
  } catch (error) {
    return {
      elections,
      campaignAllMs: nowMs() - started,
      bytesPerElection: Number.NaN,
      renewalsPerSecond: undefined,
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    await client.close();
  }
}
