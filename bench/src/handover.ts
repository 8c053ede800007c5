import type { Contender, ContenderKit } from './contender.js';
import { nowMs, type Summary, summarize } from './stats.js';

export interface HandoverResult {
  /** The leader releases -> the waiting candidate holds leadership. */
  readonly elected: Summary;
  /** The leader releases -> an observer on another client learns the new leader; undefined when the library cannot observe. */
  readonly observed: Summary | undefined;
}

/**
 * Graceful handover: two candidates on two clients take turns; each round the leader
 * holds, then releases while the other waits. An observer on a third client records when
 * it learns. The hold lets the waiter settle (its first attempt failed, its watch is in
 * place) and is spread at random over a polling library's retry interval, so that every
 * library is timed as in real use, where the waiter has waited long before the release.
 */
export async function measureHandover(
  kit: ContenderKit,
  election: string,
  rounds: number,
  /** Receives each round's release -> elected time, for a caller that pools several runs. */
  electedSamples?: number[],
): Promise<HandoverResult> {
  const contenders: Record<string, Contender> = {
    a: await kit.contender(election, 'a'),
    b: await kit.contender(election, 'b'),
  };
  const elected: number[] = [];
  const observed: number[] = [];
  let expecting: { id: string; since: number; seen: () => void } | undefined;
  const stopObserving = await kit.observer?.(election, (id) => {
    if (expecting && id === expecting.id) {
      observed.push(nowMs() - expecting.since);
      expecting.seen();
      expecting = undefined;
    }
  });

  let holder = 'a';
  let release = await (contenders.a as Contender).acquire();
  let waiting = (contenders.b as Contender).acquire();
  for (let round = 0; round < rounds; round++) {
    const next = holder === 'a' ? 'b' : 'a';
    const holdMs = (kit.settleMs ?? 10) + Math.random() * (kit.retryEveryMs ?? 20);
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    const started = nowMs();
    const seen = new Promise<void>((resolve) => {
      expecting = { id: next, since: started, seen: resolve };
    });
    const releasing = release();
    release = await waiting;
    elected.push(nowMs() - started);
    await releasing;
    if (stopObserving) await Promise.race([seen, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    waiting = (contenders[holder] as Contender).acquire();
    holder = next;
  }
  await release();
  await (await waiting)();
  await stopObserving?.();
  electedSamples?.push(...elected);
  return { elected: summarize(elected), observed: stopObserving ? summarize(observed) : undefined };
}
