import { CandidateProcess, FencedResource, msUntilElected } from '@baton/conformance';
import type { PeerEndpoint } from './peers/index.js';
import { type Summary, summarize } from './stats.js';

export interface FailoverResult {
  readonly ms: Summary;
  readonly ttlMs: number;
  /** p50 failover divided by the ttl. */
  readonly ratioToTtl: number;
}

/** Starts candidate processes of one library for one election. */
export interface CandidateLauncher {
  start(id: string): Promise<CandidateProcess>;
  close(): Promise<void>;
}

/** Baton's conformance candidate: it also writes to a fenced resource while it leads. */
export async function batonCandidates(url: string, ttlMs: number, election: string): Promise<CandidateLauncher> {
  const resource = await FencedResource.start();
  return {
    start: (id) => CandidateProcess.start({ url, ttlMs, election, id, resourceUrl: resource.url }),
    close: () => resource.stop(),
  };
}

const peerScript = new URL('./peer-candidate.ts', import.meta.url);

/** A peer library's candidate (peer-candidate.ts), holding its lock as a leader would. */
export function peerCandidates(endpoint: PeerEndpoint, election: string): CandidateLauncher {
  return {
    start: (id) => CandidateProcess.startScript(peerScript, { ...endpoint, id, election }),
    close: async () => {},
  };
}

/**
 * Crash failover: two candidate processes; SIGKILL the leader; time until another is
 * elected, on the monotonic clock all the processes share. The killed one is replaced by
 * a fresh process at once.
 */
export async function measureFailover(
  candidates: CandidateLauncher,
  ttlMs: number,
  rounds: number,
): Promise<FailoverResult> {
  const running: CandidateProcess[] = [];
  const samples: number[] = [];
  let serial = 0;
  const launch = async (): Promise<void> => {
    running.push(await candidates.start(`f${serial++}`));
  };
  const leaderOf = async (timeoutMs: number): Promise<CandidateProcess> => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const leader = running.find((c) => c.isLeaderNow());
      if (leader) return leader;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const last = running.map((c) => `${c.id}: ${JSON.stringify(c.events.at(-1))}`).join('; ');
    throw new Error(`no leader within ${timeoutMs} ms (last events: ${last})`);
  };
  try {
    await launch();
    await launch();
    for (let round = 0; round < rounds; round++) {
      const leader = await leaderOf(ttlMs * 4 + 30_000);
      leader.signal('SIGKILL');
      const killedAt = leader.signals.at(-1)?.at ?? process.hrtime.bigint();
      running.splice(running.indexOf(leader), 1);
      // The replacement starts while the store expires the dead leader's lease (a ttl away),
      // so that process start-up does not add to the run; if it wins, it is the successor.
      const replacement = launch();
      replacement.catch(() => undefined); // awaited below; a failure then ends the measure
      await leaderOf(ttlMs * 4 + 30_000);
      const ms = msUntilElected(running, killedAt, leader.id);
      if (ms !== undefined) samples.push(ms);
      await leader.exited;
      await replacement;
    }
  } finally {
    await Promise.allSettled(running.map((c) => c.stop()));
    await candidates.close();
  }
  const summary = summarize(samples);
  return { ms: summary, ttlMs, ratioToTtl: summary.p50 / ttlMs };
}
