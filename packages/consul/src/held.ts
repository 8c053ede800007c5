import { backoffDelay, type EndReason, type Lease, type Logger, sleep } from '@baton/core/adapter';
import type { ConsulApi } from './api.js';
import { tokenOf } from './keys.js';
import type { KvEntry } from './kv-entry.js';

/** A key one of this client's leaderships holds. */
export interface HeldKey {
  readonly key: string;
  readonly sessionId: string;
  readonly token: bigint;
  readonly lease: Lease;
  /** Called once the store shows the key is no longer this leadership's. */
  readonly gone: (reason: EndReason) => void;
  /** Deletes the key if it still carries this session and token. */
  readonly release: (signal: AbortSignal) => Promise<void>;
}

export interface HeldKeysOptions {
  readonly api: ConsulApi;
  readonly prefix: string;
  readonly logger: Logger;
  readonly waitMs: number;
  readonly requestTimeoutMs: number;
}

/**
 * Watches every key this client leads with ONE blocking query on the key prefix, instead
 * of one per leadership: Consul's agent accepts at most 200 HTTP connections per client
 * address (limits.http_max_conns_per_client), and a client may lead hundreds of elections.
 * The price is that every change under the prefix wakes the query; its answer lists the
 * prefix's keys.
 */
export class HeldKeys {
  private readonly options: HeldKeysOptions;
  private readonly held = new Set<HeldKey>();
  private controller: AbortController | undefined;
  private closed = false;

  constructor(options: HeldKeysOptions) {
    this.options = options;
  }

  /** Starts watching `held` until the returned function is called. */
  add(held: HeldKey): () => void {
    this.held.add(held);
    this.start();
    return () => {
      this.held.delete(held);
      if (this.held.size === 0) this.controller?.abort();
    };
  }

  private start(): void {
    if (this.closed || this.held.size === 0) return;
    if (this.controller && !this.controller.signal.aborted) return;
    const controller = new AbortController();
    this.controller = controller;
    void this.run(controller.signal)
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'held-key watch failed'))
      .finally(() => {
        if (this.controller !== controller) return;
        this.controller = undefined;
        // A key added while this loop was ending needs a new one.
        this.start();
      });
  }

  /** The keys held on `sessionId` right now. */
  heldBy(sessionId: string): HeldKey[] {
    return [...this.held].filter((held) => held.sessionId === sessionId);
  }

  close(): void {
    this.closed = true;
    this.held.clear();
    this.controller?.abort();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { api, prefix, waitMs, requestTimeoutMs } = this.options;
    let index = 0n;
    let failures = 0;
    while (!signal.aborted && this.held.size > 0) {
      try {
        const blocking = index > 0n;
        const reply = await api.listPrefix(
          `${prefix}/`,
          blocking ? { index, waitMs } : {},
          signal,
          blocking ? waitMs + waitMs / 16 + requestTimeoutMs : requestTimeoutMs,
        );
        this.check(reply.entries, reply.index);
        index = reply.index > 0n ? reply.index : 1n;
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        // One failed long poll is not yet an unreachable agent: read again at once, and only
        // if that fails too, tell the leases (which apply the onDisconnect policy).
        try {
          const reply = await api.listPrefix(`${prefix}/`, { consistent: true }, signal, requestTimeoutMs);
          this.check(reply.entries, reply.index);
          index = reply.index > 0n ? reply.index : 1n;
          continue;
        } catch (second) {
          if (signal.aborted) return;
          const leases = new Set([...this.held].map((held) => held.lease));
          for (const lease of leases) lease.connectionLost(second);
          this.options.logger.warn({ err: error }, 'held-key watch failed; retrying');
        }
        await sleep(backoffDelay(failures++, 100, 2_000), signal).catch(() => undefined);
      }
    }
  }

  /** Ends every leadership whose key the answer shows gone, released or taken. */
  private check(entries: readonly KvEntry[], answeredAt: bigint): void {
    const byKey = new Map(entries.map((entry) => [entry.Key, entry]));
    for (const held of [...this.held]) {
      // An answer computed before the key was won says nothing about it.
      if (answeredAt < held.token) continue;
      const entry = byKey.get(held.key);
      let reason: EndReason | undefined;
      if (!entry) reason = 'deposed';
      else if (entry.Session === undefined) reason = 'expired';
      else if (entry.Session !== held.sessionId || tokenOf(entry) !== held.token) reason = 'deposed';
      if (reason) {
        this.held.delete(held);
        held.gone(reason);
      }
    }
  }
}
