import { connect } from '@baton/core';
// Crashes and freezes of an in-process replica are played on the store's side: the memory
// store forgets the replica's session a ttl later, as a real store would.
import { MemoryBackend, memoryStore } from '@baton/core/adapter';
import type { Ledger } from './ledger.js';
import { openLedger } from './open-ledger.js';
import type { WorkerConfig } from './protocol.js';
import type { Replica } from './replica.js';
import { type HoldPoint, runWorker, type WorkerEvent } from './worker.js';

/** A worker's settings, with the shared memory store's name in place of a backend URL. */
export interface LocalReplicaOptions extends Omit<WorkerConfig, 'backendUrl'> {
  /** The memory store all replicas share: it stands in for the coordination server. */
  readonly storeName: string;
  readonly emit: (event: WorkerEvent) => void;
}

/**
 * A worker in the driver's own process, on the memory backend. One process cannot SIGKILL
 * or SIGSTOP a part of itself, so the faults are played at a hold point: the worker's task
 * stops there (for good after a crash, until thawed after a freeze) while its client would
 * otherwise go on renewing; the store then drops its session one ttl later, which is what a
 * server does to a client that went silent.
 */
export class LocalReplica implements Replica {
  readonly id: string;
  private readonly options: LocalReplicaOptions;
  private readonly backend: MemoryBackend;
  private readonly ledger: Ledger;
  private readonly stopping = new AbortController();
  private readonly running: Promise<void>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private armed: HoldPoint | undefined;
  private release: ((answer: 'continue' | 'halt') => void) | undefined;
  private dead = false;

  private constructor(options: LocalReplicaOptions, backend: MemoryBackend, ledger: Ledger) {
    this.id = options.id;
    this.options = options;
    this.backend = backend;
    this.ledger = ledger;
    this.running = runWorker(
      {
        id: options.id,
        election: backend.election(options.election),
        ledger: this.ledger,
        providerUrl: options.providerUrl,
        idempotency: options.idempotency,
        // A dead process says nothing more; nor does this worker once crashed.
        emit: (event) => {
          if (!this.dead) options.emit(event);
        },
        paceMs: options.paceMs,
        batchSize: options.batchSize,
        hold: (point, invoice, token) => {
          if (this.dead) return Promise.resolve('halt');
          if (this.armed !== point) return undefined;
          this.armed = undefined;
          const released = new Promise<'continue' | 'halt'>((resolve) => {
            this.release = resolve;
          });
          options.emit({ type: 'holding', worker: options.id, token: token.toString(), invoice, point });
          return released;
        },
      },
      this.stopping.signal,
    ).catch((error: unknown) => {
      options.emit({
        type: 'error',
        worker: options.id,
        message: error instanceof Error ? error.message : String(error),
      });
    });
  }

  static async start(options: LocalReplicaOptions): Promise<LocalReplica> {
    const backend = await connect(`memory://${options.storeName}`, { ttlMs: options.ttlMs });
    if (!(backend instanceof MemoryBackend)) throw new Error('a local replica needs the memory backend');
    // Through the driver's ledger server, as a worker process would: its writes are judged there.
    return new LocalReplica(options, backend, await openLedger(options.ledger, { fencing: options.fencing }));
  }

  holdAt(point: HoldPoint): void {
    this.armed = point;
  }

  async crash(): Promise<void> {
    this.dead = true;
    this.lapseSession();
  }

  async freeze(): Promise<void> {
    this.lapseSession();
  }

  async thaw(): Promise<void> {
    this.release?.('continue');
    this.release = undefined;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.stopping.abort();
    this.release?.(this.dead ? 'halt' : 'continue');
    this.release = undefined;
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 10_000);
    });
    await Promise.race([this.running, bounded]);
    clearTimeout(timer);
    await this.backend.close().catch(() => undefined);
    await this.ledger.close();
  }

  /** The store forgets this client's session a ttl after its last sign of life. */
  private lapseSession(): void {
    const session = this.backend.sessionId;
    if (session === undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      memoryStore(this.options.storeName).revokeSession(session);
    }, this.options.ttlMs);
    this.timers.add(timer);
  }
}
