import { raceAbort, withTimeout } from './abort.js';
import type { DisconnectPolicy } from './backend.js';
import { monotonicNow } from './clock.js';
import { Lease, type RenewOutcome } from './lease.js';
import type { Logger } from './logger.js';

/** The store's half of a session: an etcd lease, a Consul session, a memory-store session. */
export interface SessionDriver<Id> {
  grant(ttlMs: number, signal: AbortSignal): Promise<{ readonly id: Id; readonly ttlMs: number }>;
  renew(id: Id, signal: AbortSignal): Promise<RenewOutcome>;
  /** Ends the session in the store so that its keys go at once rather than after a ttl. */
  revoke(id: Id, signal: AbortSignal): Promise<void>;
}

export interface SessionOptions {
  readonly ttlMs: number;
  readonly onDisconnect: DisconnectPolicy;
  readonly logger: Logger;
  readonly label: string;
  /** Bound on a grant or revoke round trip. */
  readonly requestTimeoutMs: number;
  readonly renewEveryMs?: number;
}

/** One generation of a session: the store's id and the client's view of its validity. */
export interface LeaseGrant<Id> {
  readonly id: Id;
  readonly lease: Lease;
}

/**
 * One lease or session per client, shared by all its elections, as etcd's
 * concurrency.Session. After a loss the next caller gets a fresh grant: an old lease is
 * never revived, so a new campaign never inherits a dead session's keys.
 */
export class Session<Id> {
  private readonly driver: SessionDriver<Id>;
  private readonly options: SessionOptions;
  private active: LeaseGrant<Id> | undefined;
  private granting: Promise<LeaseGrant<Id>> | undefined;
  private closed = false;
  /** Aborts a grant still in flight at close(), which then need not wait for it to time out. */
  private readonly closing = new AbortController();

  constructor(driver: SessionDriver<Id>, options: SessionOptions) {
    this.driver = driver;
    this.options = options;
  }

  /** The live grant, if any, without creating one. */
  peek(): LeaseGrant<Id> | undefined {
    return this.active?.lease.isValid ? this.active : undefined;
  }

  /** The live grant, or a new one. Concurrent callers share one grant request. */
  async current(signal?: AbortSignal): Promise<LeaseGrant<Id>> {
    const live = this.peek();
    if (live) return live;
    if (!this.granting) {
      this.granting = this.grant().finally(() => {
        this.granting = undefined;
      });
    }
    return raceAbort(this.granting, signal);
  }

  /** Revokes the live grant (releasing every key on it) and stops renewing. */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort(new Error('session closed'));
    const granting = this.granting;
    if (granting) await granting.catch(() => undefined);
    const grant = this.active;
    this.active = undefined;
    if (!grant) return;
    const wasValid = grant.lease.lost === undefined;
    grant.lease.stop('closed');
    if (wasValid) await this.revoke(grant.id);
  }

  private async grant(): Promise<LeaseGrant<Id>> {
    if (this.closed) throw new Error('session closed');
    const sentAt = monotonicNow();
    const granted = await withTimeout('granting a lease', this.options.requestTimeoutMs, (signal) =>
      this.driver.grant(this.options.ttlMs, AbortSignal.any([signal, this.closing.signal])),
    );
    const { id } = granted;
    const lease = new Lease({
      ttlMs: granted.ttlMs,
      grantSentAt: sentAt,
      onDisconnect: this.options.onDisconnect,
      logger: this.options.logger,
      label: `${this.options.label}:${String(id)}`,
      ...(this.options.renewEveryMs === undefined ? {} : { renewEveryMs: this.options.renewEveryMs }),
      renew: (signal) => this.driver.renew(id, signal),
    });
    const grant: LeaseGrant<Id> = { id, lease };
    lease.onLost((reason) => {
      if (this.active === grant) this.active = undefined;
      // A lease we gave up on may still be alive in the store (a dropped connection, a
      // missed deadline): revoke it so that successors need not wait out its ttl.
      if (reason !== 'closed' && reason !== 'expired') void this.revoke(id);
    });
    if (this.closed) {
      lease.stop('closed');
      await this.revoke(id);
      throw new Error('session closed');
    }
    this.active = grant;
    return grant;
  }

  private async revoke(id: Id): Promise<void> {
    try {
      await withTimeout('revoking a lease', this.options.requestTimeoutMs, (signal) => this.driver.revoke(id, signal));
    } catch (error) {
      this.options.logger.debug({ lease: String(id), err: error }, 'revoke failed; the store expires it after its ttl');
    }
  }
}
