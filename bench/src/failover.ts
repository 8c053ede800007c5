import { CandidateProcess, FencedResource, msUntilElected } from '@baton/conformance';
import { type Summary, summarize } from './stats.js';

export interface FailoverResult {
  readonly ms: Summary;
  readonly ttlMs: number;
  /** p50 failover divided by the ttl. */
  readonly ratioToTtl: number;
}

/**
 * Crash failover: two candidate processes; SIGKILL the leader; time until the other is
 * elected. The killed one is replaced by a fresh process before the next round.
 */
export async function measureFailover(
  url: string,
  ttlMs: number,
  election: string,
  rounds: number,
): Promise<FailoverResult> {
  const resource = await FencedResource.start();
  const running: CandidateProcess[] = [];
  const samples: number[] = [];
  let serial = 0;
  const launch = async (): Promise<CandidateProcess> => {
    const candidate = await CandidateProcess.start({
      url,
      ttlMs,
      election,
      id: `f${serial++}`,
      resourceUrl: resource.url,
    });
    running.push(candidate);
    return candidate;
  };
  const leaderOf = async (timeoutMs: number): Promise<CandidateProcess> => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const leader = running.find((c) => c.isLeaderNow());
      if (leader) return leader;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('no leader');
  };
  try {
    await launch();
    await launch();
    for (let round = 0; round < rounds; round++) {
      const leader = await leaderOf(ttlMs * 4 + 30_000);
      leader.signal('SIGKILL');
      const killedAt = leader.signals.at(-1)?.at ?? process.hrtime.bigint();
      running.splice(running.indexOf(leader), 1);
      await leaderOf(ttlMs * 4 + 30_000);
      const ms = msUntilElected(running, killedAt, leader.id);
      if (ms !== undefined) samples.push(ms);
      await leader.exited;
      await launch();
    }
  } finally {
    await Promise.allSettled(running.map((c) => c.stop()));
    await resource.stop();
  }
  const summary = summarize(samples);
  return { ms: summary, ttlMs, ratioToTtl: summary.p50 / ttlMs };
}
