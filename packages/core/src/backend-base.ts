import type { Backend } from './backend.js';
import type { Capabilities } from './capabilities.js';
import { ClientScope } from './client-scope.js';
import type { Election } from './election.js';
import type { BackendHealth, HealthOptions } from './health.js';
import type { MeterProviderLike } from './meter-provider.js';
import { configureTelemetry } from './telemetry.js';
import { validateElectionName } from './validation.js';

/**
 * What every adapter's backend does the same way: validate an election name and refuse a
 * closed client before making an election, keep one Election object per name, end every
 * leadership once on close() and then run the adapter's `finalize()`, and dispose as close.
 * An adapter extends it with its store's handles and two methods: `createElection` and
 * `finalize`.
 */
export abstract class BackendBase<E extends Election = Election> implements Backend {
  abstract readonly kind: string;
  abstract readonly capabilities: Capabilities;
  abstract readonly ttlMs: number;
  /** The client's lifecycle, shared with its elections through their context. */
  protected readonly scope = new ClientScope(() => this.kind);
  private readonly elections = new Map<string, E>();

  /**
   * The election named `name` on this client; the same object for the same name.
   * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for a malformed name.
   * @throws ClosedError (ERR_CLOSED) after close().
   */
  election(name: string): E {
    validateElectionName(name);
    this.scope.assertOpen();
    let election = this.elections.get(name);
    if (!election) {
      election = this.createElection(name);
      this.elections.set(name, election);
    }
    return election;
  }

  /**
   * Ends every leadership of this client ('closed'), waits for their guarded releases,
   * then frees the client's resources (`finalize`). Idempotent.
   */
  close(): Promise<void> {
    return this.scope.close(async () => {
      this.elections.clear();
      await this.finalize();
    });
  }

  /**
   * Whether this client is healthy now, for a readiness or liveness probe: unhealthy once
   * closed, or while one of its leaderships has a renewal overdue or its connection lost;
   * with each live leadership's view. A client that leads nothing is healthy unless closed.
   * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for a malformed `options`.
   */
  health(options?: HealthOptions): BackendHealth {
    return this.scope.health(options);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** connect() hands over the options' MeterProvider here, before the backend is returned. */
  [configureTelemetry](provider: MeterProviderLike | undefined): void {
    this.scope.telemetry.configure(provider);
  }

  /** Makes the election for a valid `name` on an open client. */
  protected abstract createElection(name: string): E;

  /** Runs once, after every leadership ended: revoke the session, stop watches, close the client it owns. */
  protected abstract finalize(): Promise<void>;
}
