import type { Backend, BackendOptions } from '@baton/core';

/** Hooks that act on the store from outside the client under test, as an operator or a fault would. */
export interface StoreHooks {
  /** Makes the store forget this client's lease or session, as its expiry would (revoke, destroy, expire). */
  expireSession(backend: Backend): Promise<void>;
  /** Deletes the current leader's key of `election` from outside. */
  deleteLeaderKey(election: string): Promise<void>;
  /** Gives the current leader's key to an outsider, who holds it for at most the target's ttl. */
  overwriteLeaderKey(election: string): Promise<void>;
  /** Breaks this client's watch or notification streams (cancel, compaction, reconnect). */
  breakWatches(backend: Backend): Promise<void>;
  /**
   * A count, increasing over time, of the renewal requests the store has served (from
   * every client). Lets case 15 show that renewal traffic does not grow per election.
   */
  renewalCount?(): Promise<number>;
}

export type CaseId =
  | '1-one-candidate'
  | '2-two-candidates'
  | '3-many-candidates'
  | '4-observe'
  | '4-observe-broken-watch'
  | '5-proclaim'
  | '6-session-expired'
  | '6-key-deleted'
  | '6-key-overwritten'
  | '7-waiting-candidate-loses-session'
  | '8-abort-pending-campaign'
  | '9-resign-after-store-moved-on'
  | '10-close'
  | '10-close-exits'
  | '11-crash'
  | '12-pause'
  | '13-partition'
  | '13-lost-replies'
  | '13-slow-renewal'
  | '13-store-restart'
  | '13-store-restart-tolerate'
  | '13-store-restart-reconnect'
  | '13-store-pause'
  | '13-slow-grant'
  | '14-bad-input'
  | '14-unreachable'
  | '15-many-elections'
  | '15-shared-renewal'
  | '16-ttl-policy'
  | '18-metrics'
  | '18-metrics-failover'
  | '18-events'
  | '18-events-blackhole'
  | '18-health-blackhole'
  | '18-no-credentials';

/** What the process-level cases need to put faults between clients and a real store. */
export interface FaultHooks {
  /** The store's TCP address, for a FaultProxy in front of it. */
  readonly storeHost: string;
  readonly storePort: number;
  /** The URL of the same store reached at host:port instead (through a proxy). */
  urlVia(host: string, port: number): string;
  /** Stops the store and starts it again on the same port, as a crash and restart would. */
  restartStore(): Promise<void>;
  /** Freezes the store (SIGSTOP): it keeps its connections open but answers nothing. */
  pauseStore(): Promise<void>;
  /** Thaws a store frozen by pauseStore (SIGCONT). */
  resumeStore(): Promise<void>;
}

/** What the suite needs, at run time, to act on one backend. */
export interface ConformanceTarget {
  /** The URL `connect` uses; child processes of the suite connect to it with the target's ttl. */
  readonly url: string;
  /** A new client of the store under test; every call is a separate client. */
  connect(options?: BackendOptions): Promise<Backend>;
  /** The ttl the suite connects with; short, so that expiry cases run fast. */
  readonly ttlMs: number;
  readonly hooks: StoreHooks;
  /** A URL of this backend's scheme at which nothing answers, e.g. a closed loopback port. */
  readonly unreachableUrl: string;
  /** For the process-level cases (11-13); a target without them declares those cases skipped. */
  readonly faults?: FaultHooks;
  /**
   * How renewal traffic scales with the elections one client holds. 'shared' (the default):
   * one lease, session or batch per client, so case 15-shared-renewal expects the same order of
   * renewals for 100 elections as for one. 'per-election': the store has no write that renews
   * several records at once (Kubernetes: client-go's observers judge each Lease by its own
   * record), so the case expects no more than one renewal per election per renewal period.
   */
  readonly renewals?: 'shared' | 'per-election';
}

/** One backend's run of the suite. */
export interface ConformanceSuite {
  /** Shown in test names and the skip report, e.g. "etcd". */
  readonly name: string;
  /** Cases this backend cannot run, each with the reason; the suite prints them and registers them as skipped. */
  readonly skip?: Readonly<Partial<Record<CaseId, string>>>;
  /** Starts or finds the store and returns the target; called once, before the first case. */
  setup(): Promise<ConformanceTarget>;
  /** Called once after the last case, e.g. to stop the server. */
  teardown?(): Promise<void>;
}
