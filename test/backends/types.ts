export type BackendKind = 'etcd' | 'zookeeper' | 'consul' | 'redis' | 'postgres' | 'kubernetes';

export type ClusterKind = Exclude<BackendKind, 'redis' | 'postgres' | 'kubernetes'>;

export const BACKEND_KINDS: readonly BackendKind[] = ['etcd', 'zookeeper', 'consul', 'redis', 'postgres', 'kubernetes'];

export interface ServerHandle {
  readonly kind: BackendKind;
  /**
   * `kind://host:port` (PostgreSQL: `postgres://user:password@host:port/database`), or for an
   * external server the URL exactly as configured.
   */
  readonly url: string;
  /** PostgreSQL: the same database as the superuser, for tests that act on the store from outside. */
  readonly adminUrl?: string;
  /** The CA certificate (PEM file) that signed the server's certificate, when started with TLS. */
  readonly caFile?: string;
  readonly host: string;
  /** The client port. */
  readonly port: number;
  readonly source: 'env' | 'local' | 'container';
  /** The pid of the server process for a local server while it runs; undefined otherwise. */
  readonly pid?: number | undefined;
  /** Stops the server and removes its temporary directory. Idempotent; a no-op for external servers. */
  stop(): Promise<void>;
  /** Stops the server, then starts it again on the same port, with the same data unless `wipe`, and waits until ready. */
  restart(options?: { wipe?: boolean }): Promise<void>;
  /**
   * SIGSTOP: the server keeps its sockets open but answers nothing. For PostgreSQL that is the
   * postmaster and every backend, so open connections hang as well as new ones. Local servers only.
   */
  pause(): Promise<void>;
  /** SIGCONT. Local servers only. */
  resume(): Promise<void>;
  /** SIGKILL (PostgreSQL: the postmaster and its children), leaving the data as a crash would; restart() brings it back. */
  kill(): Promise<void>;
}

export interface StartOptions {
  /** Redis only: turn on the append-only file so data survives restart(). Off by default. */
  redisPersistence?: boolean;
  /** ZooKeeper only: tickTime in ms. Defaults to 200 so that sessions of about 2 s are allowed. */
  zkTickTimeMs?: number;
  /** Consul only: session_ttl_min. Defaults to "1s" so tests can use short session TTLs. */
  consulSessionTtlMin?: string;
  /**
   * PostgreSQL only: TLS with a certificate for 127.0.0.1 and localhost, signed by a CA made
   * for this server (`caFile`). Plain connections are still accepted.
   */
  postgresTls?: boolean;
  /**
   * PostgreSQL only: the configuration initdb writes, without the harness's tuning (fsync off,
   * 300 connections); only the port, address and socket directory are set.
   */
  postgresStock?: boolean;
  /** PostgreSQL only: more postgresql.conf settings, applied last, e.g. `{ track_commit_timestamp: 'on' }`. */
  postgresSettings?: Readonly<Record<string, string | number | boolean>>;
}

export interface ClusterHandle {
  readonly members: ServerHandle[];
  /** `kind://host:a,host:b,host:c`: every member's client address. */
  readonly url: string;
  /** Stops every member and removes their directories. Idempotent. */
  stop(): Promise<void>;
}
