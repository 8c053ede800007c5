import type { ServerHandle } from '../../backends/index.js';
import type { FaultKind } from '../history.js';

export type SoakBackend = 'etcd' | 'zookeeper' | 'consul' | 'redis' | 'postgres' | 'kubernetes';
export const SOAK_BACKENDS: readonly SoakBackend[] = ['etcd', 'zookeeper', 'consul', 'redis', 'postgres', 'kubernetes'];

export interface Address {
  readonly host: string;
  readonly port: number;
}

/** What the soak may do to a store from outside its clients, as an operator or a failure would. */
export interface OutsideActions {
  /** Deletes the current leader's key, znode or row. */
  deleteLeaderKey(election: string): Promise<void>;
  /** Ends the leader's lease or session in the store (revoke, destroy, expire); absent where the store has none the soak can end. */
  revokeLeader?(election: string): Promise<void>;
}

/** A real store under the soak, started by the test harness, with the levers the nemesis pulls. */
export interface SoakStore {
  readonly kind: SoakBackend;
  /** The client address of each member (one for a single server); candidates reach them through proxies. */
  readonly members: readonly Address[];
  /** The URL a candidate connects with when it reaches each member at the given address (its proxy). */
  urlVia(addresses: readonly Address[]): string;
  /** Stops the store (every member) and starts it again on the same ports, as a crash and restart would. */
  restart(): Promise<void>;
  /** SIGSTOP: sockets stay open, nothing is answered. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  readonly outside: OutsideActions;
  /** For a cluster: one member lost (SIGKILL) and brought back, the others running on. */
  readonly member?: {
    kill(index: number): Promise<void>;
    restart(index: number): Promise<void>;
  };
  /** Fault kinds the store cannot take here, each with the reason (printed with the report). */
  readonly unsupported: Readonly<Partial<Record<FaultKind, string>>>;
  /**
   * Fault kinds that, in this setup, bring about what the store's capabilities declare as a
   * circumstance for a token regression; a regression right after one is declared, not a defect.
   */
  readonly regressiveFaults: readonly FaultKind[];
  /** What a restart does to the store's data, for the report. */
  readonly restartKeeps: string;
  stop(): Promise<void>;
}

/** The wording shared by stores that have no lease or session the soak can end from outside. */
export const NO_OUTSIDE_SESSION = 'no session or lease to end from outside';
/** A store of one server has no member to lose. */
export const SINGLE_SERVER = 'one server (run with --cluster for member loss)';
/** A store the harness runs as one server only. */
export const NO_CLUSTER = 'the test harness starts no cluster of this store';
/** Stores the harness starts as clusters. */
export const CLUSTER_BACKENDS: readonly SoakBackend[] = ['etcd', 'zookeeper', 'consul'];
/** Members of a cluster under the soak. */
export const CLUSTER_SIZE = 3;

/**
 * The levers of harness servers, one or the members of a cluster: their addresses, a restart of
 * all (losing their data with `wipe`), a freeze and thaw of all, and for a cluster one member's
 * loss and return.
 */
export function serverLevers(
  servers: readonly ServerHandle[],
  wipe = false,
): Pick<SoakStore, 'members' | 'restart' | 'pause' | 'resume' | 'member'> {
  const nth = (index: number): ServerHandle => {
    const server = servers[index];
    if (!server) throw new Error(`no member ${index}`);
    return server;
  };
  const levers = {
    members: servers.map((server) => ({ host: server.host, port: server.port })),
    async restart() {
      if (servers.length === 1) return nth(0).restart({ wipe });
      // All at once, as a power cut would: a graceful stop of one member after another would
      // hand the cluster's leadership around first.
      await Promise.all(servers.map((server) => server.kill()));
      await Promise.all(servers.map((server) => server.restart({ wipe })));
    },
    pause: async () => void (await Promise.all(servers.map((server) => server.pause()))),
    resume: async () => void (await Promise.all(servers.map((server) => server.resume()))),
  };
  if (servers.length === 1) return levers;
  return { ...levers, member: { kill: (index) => nth(index).kill(), restart: (index) => nth(index).restart() } };
}

/** Where a store of one server cannot lose a member. */
export function unsupportedMemberLoss(servers: readonly unknown[]): Partial<Record<FaultKind, string>> {
  return servers.length > 1 ? {} : { 'member-loss': SINGLE_SERVER };
}
