import type { Found } from './binaries.js';
import type { BackendKind, ClusterHandle, ServerHandle, StartOptions } from './types.js';

/** How to run a backend in a container (used through testcontainers when there is no local binary). */
export interface ContainerSpec {
  readonly image: string;
  readonly containerPort: number;
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  /** The URL clients use, where it holds more than `kind://host:port` (credentials, a database). */
  readonly url?: (host: string, port: number) => string;
}

/** Everything the harness knows about one backend. */
export interface BackendDriver {
  readonly kind: BackendKind;
  /** The environment variable naming an external server, e.g. BATON_ETCD_URL. */
  readonly envVar: string;
  /** The client port when an external URL names none. */
  readonly defaultPort: number;
  /** The local program, for messages: "etcd binary", "redis-server binary". */
  readonly program: string;
  findLocal(): Found;
  startLocal(options: StartOptions): Promise<ServerHandle>;
  /** Absent for backends without a cluster mode in this harness. */
  startLocalCluster?(size: number): Promise<ClusterHandle>;
  /**
   * `hostPort` is fixed so that the URL survives a container restart. Absent where no one
   * image runs the backend on its own (a Kubernetes API server needs etcd, certificates and
   * credentials made for it).
   */
  container?(options: StartOptions, hostPort: number): ContainerSpec;
  /** Whether the server in a container is ready; present with `container`. */
  ready?(host: string, port: number): Promise<boolean>;
  /** Seconds a cold start may take, for the readiness deadline. */
  readonly readyTimeoutMs: number;
}
