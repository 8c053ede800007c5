import { Agent as HttpAgent, type IncomingMessage, request as plainRequest } from 'node:http';
import { type AgentOptions, Agent as HttpsAgent, type RequestOptions, request } from 'node:https';
import {
  ApiException,
  type ConfigurationOptions,
  CoordinationV1Api,
  type KubeConfig,
  Observable,
  type RequestContext,
  type ResponseContext,
  type V1Lease,
} from '@kubernetes/client-node';
import type { ClusterConfig } from './cluster-config.js';
import { ApiStatusError, readStatus } from './errors.js';

/** What the agent and the watch's requests need to verify the server and present a client certificate. */
type TlsOptions = Pick<
  AgentOptions,
  'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'
>;

/** Sockets one client keeps open to the API server for each lane; a renewal tick spreads its writes over its lane's. */
export const MAX_SOCKETS = 32;

/**
 * Which connections a call goes over: the writes to Leases the client holds (renewals,
 * releases) have their own, so that a burst of campaigns or reads cannot hold them up.
 */
export type Lane = 'held' | 'other';

/**
 * The calls Baton makes on Lease objects in one namespace, through client-node's
 * CoordinationV1Api and its credentials (token files, exec plugins), with two changes: every
 * request goes over one keep-alive agent (client-node makes a new agent, and a new TLS
 * connection, per request), and every request is bounded by a signal and a timeout.
 */
export class LeaseApi {
  readonly namespace: string;
  readonly server: string;
  private readonly config: KubeConfig;
  private readonly leases: CoordinationV1Api;
  private readonly agents: Readonly<Record<Lane, HttpAgent>>;
  private readonly tls: TlsOptions;
  private readonly requestTimeoutMs: number;
  private readonly watchRequests = new Set<AbortController>();

  private constructor(cluster: ClusterConfig, tls: TlsOptions, requestTimeoutMs: number) {
    this.config = cluster.kubeConfig;
    this.namespace = cluster.namespace;
    this.server = cluster.server;
    this.tls = tls;
    this.requestTimeoutMs = requestTimeoutMs;
    this.leases = cluster.kubeConfig.makeApiClient(CoordinationV1Api);
    const agent = (): HttpAgent =>
      this.secure
        ? new HttpsAgent({ ...tls, keepAlive: true, maxSockets: MAX_SOCKETS })
        : new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });
    this.agents = { held: agent(), other: agent() };
  }

  /** Reads the TLS settings once (CA, client certificate) and opens nothing yet. */
  static async create(cluster: ClusterConfig, requestTimeoutMs: number): Promise<LeaseApi> {
    const options: RequestOptions = {};
    await cluster.kubeConfig.applyToHTTPSOptions(options);
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = options;
    const tls: TlsOptions = {
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
      ...(pfx === undefined ? {} : { pfx }),
      ...(passphrase === undefined ? {} : { passphrase }),
      ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
      ...(servername === undefined ? {} : { servername }),
    };
    return new LeaseApi(cluster, tls, requestTimeoutMs);
  }

  private get secure(): boolean {
    return !this.server.startsWith('http:');
  }

  /** The Lease, or undefined when there is none. A GET without resourceVersion: a quorum read. */
  async read(name: string, signal: AbortSignal, lane: Lane = 'other'): Promise<V1Lease | undefined> {
    try {
      return await this.call('reading the Lease', signal, lane, (options) =>
        this.leases.readNamespacedLease({ name, namespace: this.namespace }, options),
      );
    } catch (error) {
      if (error instanceof ApiStatusError && error.answer.status === 404) return undefined;
      throw error;
    }
  }

  /** Creates the Lease; an ApiStatusError with status 409 when it exists. */
  create(lease: V1Lease, signal: AbortSignal): Promise<V1Lease> {
    return this.call('creating the Lease', signal, 'other', (options) =>
      this.leases.createNamespacedLease({ namespace: this.namespace, body: lease }, options),
    );
  }

  /**
   * Replaces the Lease if its resourceVersion is still `lease.metadata.resourceVersion`;
   * an ApiStatusError with status 409 when it moved on, 404 when it is gone.
   */
  replace(lease: V1Lease, signal: AbortSignal, lane: Lane = 'other'): Promise<V1Lease> {
    const name = lease.metadata?.name ?? '';
    return this.call('updating the Lease', signal, lane, (options) =>
      this.leases.replaceNamespacedLease({ name, namespace: this.namespace, body: lease }, options),
    );
  }

  /**
   * The namespace's Leases as of now, at most one of them: its resourceVersion is where a
   * watch starts. Also checks that the server answers and that the credentials may list Leases.
   */
  async listVersion(signal: AbortSignal): Promise<string> {
    const list = await this.call('listing Leases', signal, 'other', (options) =>
      this.leases.listNamespacedLease({ namespace: this.namespace, limit: 1 }, options),
    );
    const version = list.metadata?.resourceVersion;
    if (!version) throw new Error('the API server listed Leases without a resourceVersion');
    return version;
  }

  /**
   * Opens a watch on the namespace's Leases and resolves with the streaming response once the
   * server accepted it. client-node's Watch cannot be aborted before the server answers, so a
   * silent server would hold it forever; this request ends on `signal`.
   */
  async watch(query: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
    const headers: Record<string, string> = {};
    const auth: RequestOptions = { headers };
    await this.config.applyToHTTPSOptions(auth);
    // A kubeconfig user with a name and password: client-node leaves it for the agent to send.
    if (typeof auth.auth === 'string') headers.authorization = `Basic ${Buffer.from(auth.auth).toString('base64')}`;
    const url = new URL(`/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases`, this.server);
    for (const [key, value] of Object.entries({ ...query, watch: '1' })) url.searchParams.set(key, value);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    this.watchRequests.add(controller);
    const done = (): void => {
      signal.removeEventListener('abort', onAbort);
      this.watchRequests.delete(controller);
    };
    try {
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        const send = this.secure ? request : plainRequest;
        const req = send(url, {
          ...this.tls,
          method: 'GET',
          // Its own connection: a watch holds it for minutes, and must not take a renewal's.
          agent: false,
          headers: { ...headers, accept: 'application/json' },
          signal: controller.signal,
        });
        req.on('response', resolve);
        req.on('error', reject);
        req.end();
      });
      if (response.statusCode === 200) {
        response.once('close', done);
        return response;
      }
      const body = await readBody(response);
      done();
      throw new ApiStatusError('watching Leases', readStatus(response.statusCode ?? 0, body));
    } catch (error) {
      done();
      throw error;
    }
  }

  /** Cuts every watch this client has open, as a dropped connection would. Returns how many. */
  interruptWatches(): number {
    const open = [...this.watchRequests];
    for (const controller of open) controller.abort(new Error('watch interrupted'));
    return open.length;
  }

  /** Closes the kept-alive connections and every watch, so that the process can exit. */
  close(): void {
    this.interruptWatches();
    this.agents.held.destroy();
    this.agents.other.destroy();
  }

  private async call<T>(
    what: string,
    signal: AbortSignal,
    lane: Lane,
    send: (options: ConfigurationOptions) => Promise<T>,
  ): Promise<T> {
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(this.requestTimeoutMs)]);
    const agent = this.agents[lane];
    const options: ConfigurationOptions = {
      middleware: [
        {
          pre: (context: RequestContext) => {
            // After client-node applied the credentials (and made an agent of its own).
            context.setAgent(agent);
            context.setSignal(bounded);
            return new Observable(Promise.resolve(context));
          },
          post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
        },
      ],
      middlewareMergeStrategy: 'append',
    };
    try {
      return await send(options);
    } catch (error) {
      if (error instanceof ApiException) throw new ApiStatusError(what, readStatus(error.code, error.body));
      if (bounded.aborted && !signal.aborted) throw new Error(`${what} timed out after ${this.requestTimeoutMs} ms`);
      throw error;
    }
  }
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
