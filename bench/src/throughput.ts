import type { ContenderKit } from './contender.js';
import { nowMs } from './stats.js';

export interface ThroughputResult {
  /** Acquire + release cycles per second, all candidates together. */
  readonly cyclesPerSecond: number;
  /**
   * Share of cycles in which leadership went to a different candidate than the one
   * before. A lock that lets its releaser re-acquire at once scores near 0 and runs
   * uncontended cycles; a queue that hands over in turn scores near 1.
   */
  readonly changedHands: number;
}

/** Acquire + release cycles on one election with `candidates` contending for `durationMs`. */
export async function measureThroughput(
  kit: ContenderKit,
  election: string,
  candidates: number,
  durationMs: number,
): Promise<ThroughputResult> {
  const contenders = await Promise.all(Array.from({ length: candidates }, (_, i) => kit.contender(election, `t${i}`)));
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), durationMs);
  const started = nowMs();
  let cycles = 0;
  let changes = 0;
  let previous = -1;
  await Promise.all(
    contenders.map(async (contender, index) => {
      while (!stop.signal.aborted) {
        let release: () => Promise<void>;
        try {
          release = await contender.acquire(stop.signal);
        } catch {
          return;
        }
        cycles++;
        if (previous !== -1 && previous !== index) changes++;
        previous = index;
        await release();
      }
    }),
  );
  clearTimeout(timer);
  return {
    cyclesPerSecond: (cycles * 1_000) / (nowMs() - started),
    changedHands: cycles > 1 ? changes / (cycles - 1) : 0,
  };
}
