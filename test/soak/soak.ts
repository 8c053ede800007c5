import { FencedResource } from '@baton/conformance';
import { type Capabilities, connect } from '@baton/core';
import { monotonicNow } from '@baton/core/adapter';
import { FAULT_KINDS, type SoakHistory } from './history.js';
import { Nemesis } from './nemesis.js';
import { CandidatePool } from './pool.js';
import { SeededRandom } from './random.js';
import { type SoakBackend, type SoakStore, startSoakStore } from './stores/index.js';

export interface SoakOptions {
  readonly backend: SoakBackend;
  readonly seed: number;
  readonly minutes: number;
  /** The ttl asked for; a store with a higher minimum raises it (its ttl policy). */
  readonly ttlMs: number;
  readonly candidates: number;
  /** Run a cluster of the store (etcd, ZooKeeper, Consul) instead of one server. */
  readonly cluster: boolean;
  /** Stop after this many injections even if time is left. */
  readonly maxInjections: number;
  readonly log: (line: string) => void;
  /**
   * Called every minute with the history so far (marked partial), so that a run cut off
   * (its process killed) still leaves a history to judge.
   */
  readonly checkpoint?: (history: SoakHistory) => Promise<void>;
}

const CHECKPOINT_EVERY_MS = 60_000;

const hrtime = (): bigint => process.hrtime.bigint();

async function soakWith(
  options: SoakOptions,
  store: SoakStore,
  resource: FencedResource,
  random: SeededRandom,
  ttlMs: number,
  capabilities: Capabilities,
): Promise<SoakHistory> {
  const { backend, seed, log } = options;
  const election = `soak/${backend}/${seed}`;
  log(`${backend}: starting ${options.candidates} candidates (ttl ${ttlMs} ms)`);
  const pool = await CandidatePool.start(store, {
    size: options.candidates,
    ttlMs,
    election,
    resourceUrl: resource.url,
  });
  const ctx = { pool, store, random, election, ttlMs, worstCaseFailoverMs: capabilities.worstCaseFailoverMs };
  const nemesis = new Nemesis(ctx);
  const date = new Date().toISOString();
  const startedAt = hrtime();
  let aborted: string | undefined;
  const history = (stoppingAt: bigint, partial: boolean): SoakHistory => ({
    meta: {
      backend,
      seed,
      date,
      ttlMs,
      candidates: options.candidates,
      members: store.members.length,
      minutes: options.minutes,
      worstCaseFailoverMs: capabilities.worstCaseFailoverMs,
      declaredRegression: capabilities.fencing.regression,
      regressiveFaults: store.regressiveFaults,
      startedAt,
      stoppingAt,
      endedAt: hrtime(),
      unsupported: store.unsupported,
      ...(partial ? { partial } : {}),
    },
    processes: pool.records(),
    writes: [...resource.writes],
    faults: [...nemesis.faults],
    ...(aborted === undefined ? {} : { aborted }),
  });
  let saving: Promise<void> | undefined;
  const checkpoints = setInterval(() => {
    if (!options.checkpoint || saving) return;
    saving = options
      .checkpoint(history(hrtime(), true))
      .catch((error: unknown) => log(`${backend}: checkpoint not saved: ${String(error)}`))
      .finally(() => {
        saving = undefined;
      });
  }, CHECKPOINT_EVERY_MS);
  try {
    await nemesis.run({
      kinds: FAULT_KINDS.filter((kind) => store.unsupported[kind] === undefined),
      until: monotonicNow() + options.minutes * 60_000,
      maxInjections: options.maxInjections,
      log: (line) => log(`${backend} ${line}`),
    });
  } catch (error) {
    aborted = error instanceof Error ? error.message : String(error);
    log(`${backend}: ${aborted}\n${pool.stderr()}`);
  } finally {
    clearInterval(checkpoints);
    await saving;
  }
  const stoppingAt = hrtime();
  await pool.stop();
  return history(stoppingAt, false);
}

/**
 * One soak of one backend: a real server, `candidates` processes in one election writing through
 * a fence to a resource hosted here, a nemesis injecting faults for `minutes`; then every process
 * is told to exit and the recorded history is returned for the judge.
 */
export async function runSoak(options: SoakOptions): Promise<SoakHistory> {
  const random = new SeededRandom(options.seed);
  const store = await startSoakStore(options.backend, options.ttlMs, options.cluster);
  try {
    // The ttl in force and the declared worst case, as a client of this store sees them.
    const probe = await connect(store.urlVia(store.members), { ttlMs: options.ttlMs, connectTimeoutMs: 10_000 });
    const { ttlMs, capabilities } = probe;
    await probe.close();
    const resource = await FencedResource.start();
    try {
      return await soakWith(options, store, resource, random, ttlMs, capabilities);
    } finally {
      await resource.stop();
    }
  } finally {
    await store.stop();
  }
}
