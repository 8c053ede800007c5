import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Found, findExecutable, findProgram } from './binaries.js';
import type { BackendDriver } from './driver.js';
import { env } from './env.js';
import { etcdDriver } from './etcd.js';
import { type ApiAccess, apiRequest, createIfAbsent } from './kubernetes-api.js';
import {
  ELECTOR_USER,
  type KubernetesCredentials,
  type KubernetesUser,
  makeCredentials,
} from './kubernetes-credentials.js';
import { LocalServer, type LocalServerSpec, makeServerDir, removeServerDir } from './local-server.js';
import { freePorts } from './ports.js';
import { waitUntil } from './process.js';
import type { ServerHandle } from './types.js';

const HOST = '127.0.0.1';
/** A cold start takes about 4 s on an idle machine; a busy 2-core one takes many times that. */
const READY_TIMEOUT_MS = 90_000;
/** The version scripts/build-kube-apiserver.sh builds. */
export const KUBERNETES_VERSION = 'v1.37.2';
/** The namespace tests use; the elector user may touch Leases here and nothing anywhere else. */
export const TEST_NAMESPACE = 'baton-test';

/**
 * What leader election needs on Lease objects and nothing more: read and watch the Lease,
 * create it the first time, update it (acquire, renew, release). client-go's LeaseLock uses
 * get, create and update; Baton's watch-based observers add list and watch. No delete, no patch.
 */
export const ELECTOR_RULES = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update'] },
] as const;

/** Where scripts/build-kube-apiserver.sh caches its binary; the same expression as the script's. */
function cachedBinary(): string {
  const cache = env('BATON_CACHE_DIR') ?? join(env('XDG_CACHE_HOME') ?? join(homedir(), '.cache'), 'baton');
  return join(cache, 'bin', `kube-apiserver-${KUBERNETES_VERSION}`);
}

/** The API server, plus the etcd it stores its objects in and openssl to make its certificates. */
function findLocal(): Found {
  const apiserver = findProgram(
    'BATON_KUBE_APISERVER_BIN',
    [cachedBinary(), 'kube-apiserver'],
    `no kube-apiserver binary (${cachedBinary()} or kube-apiserver on PATH)`,
  );
  if (!apiserver.found) return apiserver;
  const etcd = etcdDriver.findLocal();
  if (!etcd.found) return { found: false, reason: `kube-apiserver needs etcd: ${etcd.reason}` };
  if (!findExecutable('openssl')) return { found: false, reason: 'no openssl to make the test certificates' };
  return apiserver;
}

/**
 * A local Kubernetes API server of its own, with its own etcd, for one test file. `url` names
 * the server and the namespace; the credentials are files and tokens beside it, one user with
 * every right (for setting up and for acting "from outside") and one with only ELECTOR_RULES
 * in TEST_NAMESPACE (what a real deployment grants).
 */
export class KubernetesServer implements ServerHandle {
  readonly kind = 'kubernetes' as const;
  readonly source = 'local' as const;
  readonly host = HOST;
  readonly port: number;
  /** `kubernetes://127.0.0.1:PORT?namespace=baton-test` */
  readonly url: string;
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly namespace = TEST_NAMESPACE;
  /** The CA certificate (PEM file) that signed the server's certificate. */
  readonly caFile: string;
  /** In system:masters: every right everywhere. */
  readonly admin: KubernetesUser;
  /** Bound to the Role `baton-elector` (ELECTOR_RULES) in `namespace`, and to nothing else. */
  readonly elector: KubernetesUser;
  /** The directory with the certificates, keys, token file, kubeconfigs and server.log. */
  readonly dir: string;
  private readonly ca: string;

  private constructor(
    private readonly apiserver: LocalServer,
    /** The API server's etcd, for faults below the API server: restart(), kill(), pause(). */
    readonly etcd: ServerHandle,
    credentials: KubernetesCredentials,
    server: string,
  ) {
    this.port = apiserver.port;
    this.url = apiserver.url;
    this.server = server;
    this.caFile = credentials.caFile;
    this.ca = readFileSync(credentials.caFile, 'utf8');
    this.admin = credentials.admin;
    this.elector = credentials.elector;
    this.dir = apiserver.dir;
  }

  /** Starts etcd, then the API server, and sets up the namespace and RBAC. */
  static async start(program: string): Promise<KubernetesServer> {
    const etcd = await etcdDriver.startLocal({});
    let dir: string | undefined;
    let apiserver: LocalServer | undefined;
    try {
      const [port] = (await freePorts(1)) as [number];
      const server = `https://${HOST}:${port}`;
      dir = await makeServerDir('kubernetes');
      const credentials = await makeCredentials(dir, server, TEST_NAMESPACE);
      const admin: ApiAccess = { server, ca: readFileSync(credentials.caFile, 'utf8'), token: credentials.admin.token };
      apiserver = await LocalServer.start(apiserverSpec(program, port, etcd, credentials, admin), dir);
      const started = new KubernetesServer(apiserver, etcd, credentials, server);
      await started.provision();
      await started.waitForElectorAccess();
      return started;
    } catch (error) {
      // LocalServer.start removes the directory itself when the server fails to start.
      if (apiserver) await apiserver.stop();
      else if (dir) await removeServerDir(dir);
      await etcd.stop();
      throw error;
    }
  }

  get pid(): number | undefined {
    return this.apiserver.pid;
  }

  /** Calls the API server as the admin user (every right), e.g. to change a Lease from outside. */
  asAdmin(method: string, path: string, body?: unknown, timeoutMs?: number) {
    return apiRequest(this.access(this.admin), method, path, body, timeoutMs);
  }

  /** Calls the API server as the least-privileged elector user. */
  asElector(method: string, path: string, body?: unknown, timeoutMs?: number) {
    return apiRequest(this.access(this.elector), method, path, body, timeoutMs);
  }

  /**
   * The URL naming a kubeconfig file instead of a host, for `user`'s credentials:
   * `kubernetes://?kubeconfig=PATH&namespace=baton-test`.
   */
  kubeconfigUrl(user: KubernetesUser = this.elector): string {
    const query = new URLSearchParams({ kubeconfig: user.kubeconfig, namespace: this.namespace });
    return `kubernetes://?${query}`;
  }

  /** Stops the API server, then its etcd, and removes both directories. Idempotent. */
  async stop(): Promise<void> {
    try {
      await this.apiserver.stop();
    } finally {
      await this.etcd.stop();
    }
  }

  /**
   * Restarts the API server on the same port, with the same credentials. The Leases stay, as
   * they live in etcd; with `wipe`, etcd is restarted empty first and the namespace and RBAC
   * are set up again.
   */
  async restart(options: { wipe?: boolean } = {}): Promise<void> {
    if (options.wipe) await this.etcd.restart({ wipe: true });
    await this.apiserver.restart();
    if (options.wipe) await this.provision();
    await this.waitForElectorAccess();
  }

  /** Restarts only the etcd under the API server, keeping its data; the API server stays up. */
  async restartEtcd(): Promise<void> {
    await this.etcd.restart();
  }

  /** SIGSTOP to the API server: connections stay open, nothing answers. */
  async pause(): Promise<void> {
    await this.apiserver.pause();
  }

  async resume(): Promise<void> {
    await this.apiserver.resume();
  }

  /** SIGKILL to the API server; restart() brings it back. etcd keeps running. */
  async kill(): Promise<void> {
    await this.apiserver.kill();
  }

  private access(user: KubernetesUser): ApiAccess {
    return { server: this.server, ca: this.ca, token: user.token };
  }

  /** The namespace for tests, the elector Role in it, and the binding of the elector user to it. */
  private async provision(): Promise<void> {
    const admin = this.access(this.admin);
    await createIfAbsent(admin, '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: this.namespace },
    });
    const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${this.namespace}`;
    await createIfAbsent(admin, `${rbac}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: ELECTOR_USER, namespace: this.namespace },
      rules: ELECTOR_RULES,
    });
    await createIfAbsent(admin, `${rbac}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: ELECTOR_USER, namespace: this.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: ELECTOR_USER },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: this.elector.name }],
    });
  }

  /** RBAC decisions follow a cache of Roles and bindings; wait until it grants the new binding. */
  private async waitForElectorAccess(): Promise<void> {
    await waitUntil(
      async () =>
        (await this.asElector('GET', `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases`)).status ===
        200,
      { what: `the ${this.elector.name} user listing leases on ${this.server}`, timeoutMs: 30_000 },
    );
  }
}

function apiserverSpec(
  program: string,
  port: number,
  etcd: ServerHandle,
  credentials: KubernetesCredentials,
  admin: ApiAccess,
): LocalServerSpec {
  const answers = async (path: string): Promise<number> => (await apiRequest(admin, 'GET', path)).status;
  return {
    kind: 'kubernetes',
    name: 'kube-apiserver',
    host: HOST,
    port,
    url: `kubernetes://${HOST}:${port}?namespace=${TEST_NAMESPACE}`,
    readyTimeoutMs: READY_TIMEOUT_MS,
    // A graceful stop drains requests in flight and closes watches; it takes about a second.
    stopGraceMs: 15_000,
    // Everything lives in etcd and in the credential files made once at start.
    prepare: async () => {},
    launch: (dir) => ({
      command: program,
      // biome-ignore format: flag and value pairs
      args: [
        '--bind-address', HOST,
        '--secure-port', String(port),
        '--advertise-address', HOST,
        // The default reconciler refuses a loopback advertise address; nothing here needs the
        // `kubernetes` Service's endpoints.
        '--endpoint-reconciler-type', 'none',
        '--etcd-servers', `http://${etcd.host}:${etcd.port}`,
        '--tls-cert-file', credentials.servingCertFile,
        '--tls-private-key-file', credentials.servingKeyFile,
        '--cert-dir', dir,
        '--token-auth-file', credentials.tokenFile,
        // Unauthenticated calls get 401 instead of acting as system:anonymous.
        '--anonymous-auth=false',
        '--authorization-mode', 'RBAC',
        '--service-account-issuer', 'https://kubernetes.default.svc',
        '--service-account-key-file', credentials.serviceAccountPublicKeyFile,
        '--service-account-signing-key-file', credentials.serviceAccountKeyFile,
        '--service-cluster-ip-range', '10.96.0.0/16',
        '--profiling=false',
      ],
    }),
    // Any HTTP answer means it is serving; /readyz turns 200 once etcd, the caches and the RBAC
    // bootstrap are done.
    serving: async () => (await answers('/livez')) > 0,
    ready: async () => (await answers('/readyz')) === 200,
  };
}

async function startLocal(): Promise<ServerHandle> {
  const found = findLocal();
  if (!found.found) throw new Error(`kubernetes: ${found.reason}`);
  return KubernetesServer.start(found.path);
}

export const kubernetesDriver: BackendDriver = {
  kind: 'kubernetes',
  envVar: 'BATON_KUBERNETES_URL',
  defaultPort: 6443,
  program: 'kube-apiserver binary',
  readyTimeoutMs: READY_TIMEOUT_MS,
  findLocal,
  startLocal,
};
