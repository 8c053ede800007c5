import type { ServerHandle } from '../../backends/index.js';
import type { FaultKind } from '../history.js';

export type SoakBackend = 'etcd' | 'zookeeper' | 'consul' | 'redis' | 'postgres';
export const SOAK_BACKENDS: readonly SoakBackend[] = ['etcd', 'zookeeper', 'consul', 'redis', 'postgres'];

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
  /** Stops the store and starts it again on the same port, as a crash and restart would. */
  restart(): Promise<void>;
  /** SIGSTOP: sockets stay open, nothing is answered. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  readonly outside: OutsideActions;
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
/** The harness runs one server per store here; member loss needs a cluster. */
export const SINGLE_SERVER = 'the soak runs one server; member loss needs a cluster';

/** The levers of one harness server: its address, restart (losing its data with `wipe`), freeze and thaw. */
export function serverLevers(
  server: ServerHandle,
  wipe = false,
): Pick<SoakStore, 'members' | 'restart' | 'pause' | 'resume'> {
  return {
    members: [{ host: server.host, port: server.port }],
    restart: () => server.restart({ wipe }),
    pause: () => server.pause(),
    resume: () => server.resume(),
  };
}
