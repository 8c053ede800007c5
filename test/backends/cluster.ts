import type { LocalServer } from './local-server.js';
import { tailLog, waitUntil } from './process.js';
import type { ClusterHandle, ClusterKind } from './types.js';

/**
 * Shared by the members of one cluster so that a member restarted while too few peers run
 * does not wait for a leader that cannot exist.
 */
export class ClusterState {
  servers: LocalServer[] = [];
  starting = true;

  constructor(readonly size: number) {}

  get quorum(): number {
    return Math.floor(this.size / 2) + 1;
  }

  /** For LocalServerSpec.expectQuorum: the restarting member counts itself. */
  readonly expectQuorum = (): boolean =>
    this.starting || this.servers.filter((server) => server.running).length + 1 >= this.quorum;
}

export function assertClusterSize(kind: ClusterKind, size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > 7) {
    throw new Error(`startCluster(${kind}, ${size}): size must be an integer from 1 to 7 (usually 3)`);
  }
}

/**
 * Starts every member at once (each waits for its peers to form a quorum), then waits for the
 * cluster as a whole. If any member fails, all are stopped and the first error is thrown.
 */
export async function startMembers(
  kind: ClusterKind,
  state: ClusterState,
  starters: ReadonlyArray<() => Promise<LocalServer>>,
  clusterReady: () => Promise<boolean>,
  timeoutMs: number,
): Promise<ClusterHandle> {
  const results = await Promise.allSettled(starters.map((start) => start()));
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((server) => server.destroy()));
  };
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    await stopAll();
    throw failure.reason;
  }
  state.servers = started;
  state.starting = false;
  try {
    await waitUntil(clusterReady, { what: `${kind} cluster of ${state.size} agreeing on a leader`, timeoutMs });
  } catch (error) {
    const logs = started.map(
      (server) => `---- last 15 lines of ${server.logFile} ----\n${tailLog(server.logFile, 15)}`,
    );
    await stopAll();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logs.join('\n')}`);
  }
  return {
    members: started,
    url: `${kind}://${started.map((server) => `${server.host}:${server.port}`).join(',')}`,
    stop: stopAll,
  };
}
