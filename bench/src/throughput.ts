import type { ContenderKit } from './contender.js';
import { nowMs } from './stats.js';

/** Acquire + release cycles per second on one election with `candidates` contending for `durationMs`. */
export async function measureThroughput(
  kit: ContenderKit,
  election: string,
  candidates: number,
  durationMs: number,
): Promise<number> {
  const contenders = await Promise.all(Array.from({ length: candidates }, (_, i) => kit.contender(election, `t${i}`)));
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), durationMs);
  const started = nowMs();
  let cycles = 0;
  await Promise.all(
    contenders.map(async (contender) => {
      while (!stop.signal.aborted) {
        let release: () => Promise<void>;
        try {
          release = await contender.acquire(stop.signal);
        } catch {
          return;
        }
        cycles++;
        await release();
      }
    }),
  );
  clearTimeout(timer);
  return (cycles * 1_000) / (nowMs() - started);
}
