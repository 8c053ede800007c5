import { EventEmitter } from 'node:events';
import { Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { BackendUnavailableError, type Logger, toAbortError } from '@baton/core/adapter';
import Consul from 'consul';
import { consulError, isTransportError } from './errors.js';
import type { KvEntry } from './kv-entry.js';
import { consulIndex, parseBody, parseEntry, parseGoDuration } from './responses.js';

type Invoke = (options: Record<string, unknown>) => Promise<unknown>;

/**
 * The part of the `consul` npm client (2.x) this adapter calls. Every call goes through the
 * client; Baton adds what the client lacks: AbortSignal cancellation (the client cancels
 * through an EventEmitter `ctx`), response headers (X-Consul-Index, through
 * `ctx.includeResponse`), typed errors, and moving to the next agent of a multi-host URL.
 */
export interface ConsulClientLike {
  readonly kv: { readonly get: Invoke; readonly set: Invoke; readonly del: Invoke };
  readonly session: { readonly create: Invoke; readonly renew: Invoke; readonly destroy: Invoke };
  readonly transaction: { create(operations: unknown[], options: Record<string, unknown>): Promise<unknown> };
  /** GET /v1/status/leader: the Raft leader's address, or "" while the servers have none. */
  readonly status?: { readonly leader: Invoke };
  destroy?(): void;
}

export function isConsulClient(value: unknown): value is ConsulClientLike {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, Record<string, unknown> | undefined>;
  return (
    typeof candidate.kv?.get === 'function' &&
    typeof candidate.kv.set === 'function' &&
    typeof candidate.session?.create === 'function' &&
    typeof candidate.session.renew === 'function' &&
    typeof candidate.transaction?.create === 'function'
  );
}

/** One KV operation of /v1/txn, in Consul's own format. */
export interface TxnKvOp {
  readonly Verb: 'lock' | 'get' | 'cas' | 'delete-cas' | 'check-session' | 'check-index' | 'set';
  readonly Key: string;
  readonly Value?: string;
  readonly Flags?: number;
  readonly Index?: number;
  readonly Session?: string;
}

export type TxnOutcome =
  | { readonly ok: true; readonly results: readonly KvEntry[] }
  | { readonly ok: false; readonly errors: readonly string[] };

export interface ConsulApiOptions {
  readonly hosts: readonly { readonly host: string; readonly port: number }[];
  readonly secure: boolean;
  readonly token?: string;
  readonly dc?: string;
  /** A client to use instead of making one per host; never destroyed by Baton. */
  readonly client?: ConsulClientLike;
  readonly logger: Logger;
}

interface CallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
  /** Safe to send again to the next agent when the first did not answer. */
  readonly idempotent: boolean;
  /** A long poll that interruptWatches() may cut. */
  readonly watch?: boolean;
  /** HTTP statuses that are answers rather than errors. */
  readonly accept?: readonly number[];
}

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

interface ResponseLike {
  readonly statusCode?: number;
  readonly headers?: IncomingHttpHeaders;
  readonly body?: unknown;
}

class WatchInterrupted extends Error {}

/** Sockets per agent for short requests, and for blocking queries (waiters, observers, the held-key watch). */
export const MAX_SHORT_SOCKETS = 24;
export const MAX_WATCH_SOCKETS = 96;

/**
 * Consul's HTTP API as Baton uses it, over `consul` clients (two per agent: short requests and
 * blocking queries, so that long polls never starve renewals of sockets). Blocking queries
 * are tracked so that interruptWatches() can cut them, as a dropped connection would.
 */
export class ConsulApi {
  private readonly options: ConsulApiOptions;
  /** Per agent: a client for short requests and one for blocking queries, each with its own socket pool. */
  private readonly clients: ({ short: ConsulClientLike; watch: ConsulClientLike } | undefined)[];
  private readonly owned: boolean;
  private current = 0;
  private readonly watches = new Set<EventEmitter>();

  constructor(options: ConsulApiOptions) {
    this.options = options;
    this.owned = options.client === undefined;
    this.clients = options.client
      ? [{ short: options.client, watch: options.client }]
      : options.hosts.map(() => undefined);
  }

  /** The agent calls go to now, `host:port`. */
  get agent(): string {
    if (!this.owned) return 'the given client';
    const host = this.options.hosts[this.current];
    return host ? `${host.host}:${host.port}` : '?';
  }

  async createSession(body: Record<string, unknown>, signal: AbortSignal, timeoutMs: number): Promise<string> {
    const reply = await this.call('creating a session', (client, opts) => client.session.create({ ...body, ...opts }), {
      signal,
      timeoutMs,
      idempotent: false,
    });
    const id = (reply.body as { ID?: unknown } | undefined)?.ID;
    if (typeof id !== 'string' || id === '')
      throw new BackendUnavailableError('consul created a session without an ID');
    return id;
  }

  /** Whether the session still exists and the ttl Consul now applies to it, in ms (it may raise it under load). */
  async renewSession(
    id: string,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<{ found: false } | { found: true; ttlMs?: number }> {
    const reply = await this.call('renewing the session', (client, opts) => client.session.renew({ id, ...opts }), {
      signal,
      timeoutMs,
      idempotent: true,
      accept: [404],
    });
    const entry = Array.isArray(reply.body) ? (reply.body[0] as { TTL?: unknown } | undefined) : undefined;
    if (reply.status === 404 || !entry) return { found: false };
    const ttlMs = typeof entry.TTL === 'string' ? parseGoDuration(entry.TTL) : undefined;
    return ttlMs === undefined ? { found: true } : { found: true, ttlMs };
  }

  /**
   * Whether the servers have a Raft leader: false while they have none (too few servers for a
   * quorum, or still electing), which makes every write wait and then fail. Undefined when
   * the agent cannot tell (no answer, or a client without the status endpoint).
   */
  async hasClusterLeader(signal: AbortSignal, timeoutMs: number): Promise<boolean | undefined> {
    try {
      const reply = await this.call(
        'reading the cluster leader',
        (client, opts) => client.status?.leader(opts) ?? Promise.reject(new Error('no status endpoint')),
        { signal, timeoutMs, idempotent: true },
      );
      return typeof reply.body === 'string' ? reply.body !== '' : undefined;
    } catch {
      return undefined;
    }
  }

  async destroySession(id: string, signal: AbortSignal, timeoutMs: number): Promise<void> {
    await this.call('destroying the session', (client, opts) => client.session.destroy({ id, ...opts }), {
      signal,
      timeoutMs,
      idempotent: true,
    });
  }

  /**
   * Reads one key. With `index`, a blocking query: Consul answers when the key's index
   * passes `index` or after `waitMs`. Returns the entry (undefined when absent) and X-Consul-Index.
   */
  async getKey(
    key: string,
    query: { readonly consistent?: boolean; readonly index?: bigint; readonly waitMs?: number },
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<{ entry: KvEntry | undefined; index: bigint }> {
    const blocking = query.index !== undefined && query.index > 0n;
    const reply = await this.call(
      blocking ? 'watching a key' : 'reading a key',
      (client, opts) =>
        client.kv.get({
          key,
          ...(query.consistent ? { consistent: true } : {}),
          ...(blocking ? { index: String(query.index), wait: `${Math.ceil((query.waitMs ?? 10_000) / 1_000)}s` } : {}),
          ...opts,
        }),
      { signal, timeoutMs, idempotent: true, watch: blocking, accept: [404] },
    );
    const entry = reply.status === 404 ? undefined : parseEntry(reply.body);
    return { entry, index: consulIndex(reply.headers) };
  }

  /** Every key under `prefix` (recursive), optionally as a blocking query. */
  async listPrefix(
    prefix: string,
    query: { readonly consistent?: boolean; readonly index?: bigint; readonly waitMs?: number },
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<{ entries: KvEntry[]; index: bigint }> {
    const blocking = query.index !== undefined && query.index > 0n;
    const reply = await this.call(
      blocking ? 'watching held keys' : 'reading held keys',
      (client, opts) =>
        client.kv.get({
          key: prefix,
          recurse: true,
          ...(query.consistent ? { consistent: true } : {}),
          ...(blocking ? { index: String(query.index), wait: `${Math.ceil((query.waitMs ?? 10_000) / 1_000)}s` } : {}),
          ...opts,
        }),
      { signal, timeoutMs, idempotent: true, watch: blocking, accept: [404] },
    );
    const body = reply.status === 404 ? [] : reply.body;
    const entries = Array.isArray(body)
      ? body.map((item) => parseEntry(item)).filter((e): e is KvEntry => e !== undefined)
      : [];
    return { entries, index: consulIndex(reply.headers) };
  }

  /** Runs KV operations atomically; a failed check or lock is an answer (409), not an error. */
  async txn(ops: readonly TxnKvOp[], signal: AbortSignal, timeoutMs: number): Promise<TxnOutcome> {
    const reply = await this.call(
      'a transaction',
      (client, opts) =>
        client.transaction.create(
          ops.map((op) => ({ KV: op })),
          opts,
        ),
      { signal, timeoutMs, idempotent: false, accept: [409] },
    );
    const body = reply.body as { Results?: unknown; Errors?: unknown } | undefined;
    if (reply.status === 409) {
      const errors = Array.isArray(body?.Errors)
        ? body.Errors.map((e) => String((e as { What?: unknown } | null)?.What ?? 'conflict'))
        : ['conflict'];
      return { ok: false, errors };
    }
    const results = Array.isArray(body?.Results)
      ? body.Results.map((r) => parseEntry((r as { KV?: unknown } | null)?.KV, true)).filter(
          (e): e is KvEntry => e !== undefined,
        )
      : [];
    return { ok: true, results };
  }

  /** Cuts every blocking query in flight; their callers see a failed request. For tests and faults. */
  interruptWatches(): number {
    const cut = [...this.watches];
    for (const ctx of cut) ctx.emit('interrupt');
    return cut.length;
  }

  /** Frees the sockets of the clients this object made; a client given to it is left alone. */
  close(): void {
    this.interruptWatches();
    if (!this.owned) return;
    for (const pair of this.clients) {
      pair?.short.destroy?.();
      pair?.watch.destroy?.();
    }
  }

  private client(index: number, watch: boolean): ConsulClientLike {
    const existing = this.clients[index];
    if (existing) return watch ? existing.watch : existing.short;
    const host = this.options.hosts[index];
    if (!host) throw new BackendUnavailableError('no consul agent configured');
    const defaults: Record<string, string> = {};
    if (this.options.token !== undefined) defaults.token = this.options.token;
    if (this.options.dc !== undefined) defaults.dc = this.options.dc;
    // Consul's agent serves at most 200 connections per client address (http_max_conns_per_client)
    // and answers 429 beyond: bound the sockets, and keep long polls from starving short calls.
    const make = (maxSockets: number): ConsulClientLike => {
      const agent = this.options.secure
        ? new HttpsAgent({ keepAlive: true, maxSockets })
        : new HttpAgent({ keepAlive: true, maxSockets });
      const made = new Consul({ host: host.host, port: host.port, secure: this.options.secure, defaults, agent });
      return made as unknown as ConsulClientLike;
    };
    const pair = { short: make(MAX_SHORT_SOCKETS), watch: make(MAX_WATCH_SOCKETS) };
    this.clients[index] = pair;
    return watch ? pair.watch : pair.short;
  }

  private async call(
    what: string,
    invoke: (client: ConsulClientLike, opts: Record<string, unknown>) => Promise<unknown>,
    options: CallOptions,
  ): Promise<Reply> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.clients.length; attempt++) {
      const index = this.current;
      try {
        return await this.once(invoke, this.client(index, options.watch === true), options);
      } catch (error) {
        if (options.signal?.aborted) throw toAbortError(options.signal);
        if (error instanceof WatchInterrupted) throw new BackendUnavailableError(`${what}: ${error.message}`);
        if (!isTransportError(error)) throw consulError(what, error);
        lastError = error;
        if (this.owned && this.clients.length > 1 && this.current === index) {
          this.current = (index + 1) % this.clients.length;
          this.options.logger.warn(
            { err: error, next: this.agent },
            'consul agent did not answer; trying the next one',
          );
        }
        // A write may have landed before the connection broke; send it again only if it
        // certainly never reached the agent.
        if (!options.idempotent && (error as { code?: unknown } | null)?.code !== 'ECONNREFUSED') break;
      }
    }
    throw consulError(what, lastError);
  }

  private once(
    invoke: (client: ConsulClientLike, opts: Record<string, unknown>) => Promise<unknown>,
    client: ConsulClientLike,
    options: CallOptions,
  ): Promise<Reply> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(toAbortError(signal));
    // The client cancels a request when its ctx emits 'cancel', and with includeResponse it
    // returns [response, body], which carries X-Consul-Index.
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true, canceled: false });
    let interrupted = false;
    const cancel = (): void => {
      // `canceled` stops a request the client has not sent yet; 'cancel' aborts one in flight.
      ctx.canceled = true;
      ctx.emit('cancel');
    };
    const onInterrupt = (): void => {
      interrupted = true;
      cancel();
    };
    if (options.watch) {
      this.watches.add(ctx);
      ctx.once('interrupt', onInterrupt);
    }
    const opts: Record<string, unknown> = { ctx, timeout: Math.max(1, Math.ceil(options.timeoutMs)) };
    const pending = invoke(client, opts).then(
      (result): Reply => {
        const [response, body] = Array.isArray(result) ? (result as [ResponseLike?, unknown?]) : [undefined, result];
        return { status: response?.statusCode ?? 200, headers: response?.headers ?? {}, body };
      },
      (error: unknown): Reply => {
        if (interrupted) throw new WatchInterrupted('the blocking query was cut');
        const response = (error as { response?: ResponseLike } | null)?.response;
        const status = response?.statusCode;
        if (status !== undefined && options.accept?.includes(status)) {
          return { status, headers: response?.headers ?? {}, body: parseBody(response?.body) };
        }
        throw error;
      },
    );
    // Settle at once on abort, whatever the client does with its request afterwards.
    return new Promise<Reply>((resolve, reject) => {
      const onAbort = (): void => {
        cancel();
        reject(toAbortError(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      pending
        .then(resolve, reject)
        .finally(() => {
          signal?.removeEventListener('abort', onAbort);
          this.watches.delete(ctx);
        })
        .catch(() => undefined);
    });
  }
}
