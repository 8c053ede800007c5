import {
  backoffDelay,
  type CampaignPlan,
  ElectionBase,
  handOutTerm,
  type LeaderInfo,
  type LeaderSource,
  type Leadership,
  LeadershipLostError,
  LeadershipTerm,
  type LeaseGrant,
  leaseReadyForTerm,
  type ResolvedCampaign,
  type RetryPolicy,
  removeAbandoned,
  sleep,
} from '@baton/core/adapter';
import type pg from 'pg';
import type { PostgresElectionContext } from './context.js';
import { isTransient } from './errors.js';
import { fencedTransaction, type Queryable } from './fencing.js';
import { LineFeed, type OwnRowEvent } from './line-feed.js';

/** One row in the line: who, which token, on which session generation. */
interface Candidate {
  readonly id: string;
  readonly token: bigint;
  readonly grant: LeaseGrant<string>;
}

/** Added to a re-check timed for a session's expiry, so that the server's clock has passed it. */
const RECHECK_SLACK_MS = 5;
/** How often a waiter looks again while the LISTEN connection is being opened again. */
const POLL_WHILE_DEAF_MS = 250;

/**
 * An election in PostgreSQL: one row per candidate in `candidate`, on the client's session
 * row; the lowest token whose session is alive leads, and that token is the fencing token. A
 * waiting candidate listens for the deletion of its predecessor's row, and looks again when
 * the predecessor's session would expire (a crashed holder sends no notification).
 */
export class PostgresElection extends ElectionBase<PostgresElectionContext> {
  protected readonly retry: RetryPolicy = { isTransient };

  /**
   * Runs `work` in one transaction on `db` (the application's pool or connection) that commits
   * only while `leadership` leads this election: `fencedTransaction` with this election's name
   * and schema. A successor cannot take over between the check and the commit.
   * @throws LeadershipLostError at once when `leadership` has already ended, or as `fencedTransaction` does.
   */
  transaction<T>(leadership: Leadership, db: Queryable, work: (tx: pg.ClientBase) => Promise<T>): Promise<T> {
    if (!leadership.isLeader) return Promise.reject(leadership.signal.reason);
    const fence = { election: this.name, token: leadership.token, schema: this.context.store.schema };
    return fencedTransaction(db, fence, work);
  }

  protected plan({ id, value }: ResolvedCampaign, stop: AbortSignal): CampaignPlan {
    return { attempt: () => this.attempt(id, value, stop) };
  }

  protected async readLeader(signal: AbortSignal): Promise<LeaderInfo | undefined> {
    return (await this.context.store.leader(this.name, signal))?.info;
  }

  protected leaderSource(): LeaderSource {
    const { store, notifications } = this.context;
    let changed: (() => void) | undefined;
    let expiry: NodeJS.Timeout | undefined;
    return {
      read: async (signal) => {
        const read = await store.leader(this.name, signal);
        clearTimeout(expiry);
        // A leader that crashed ends without a notification: read again when its session would expire.
        if (read) expiry = setTimeout(() => changed?.(), read.expiresInMs + RECHECK_SLACK_MS);
        return read?.info;
      },
      subscribe: async (onChange) => {
        changed = onChange;
        const unlisten = notifications.listen(this.name, { change: onChange, resync: onChange });
        return () => {
          unlisten();
          clearTimeout(expiry);
          changed = undefined;
        };
      },
    };
  }

  private async attempt(id: string, value: string | undefined, stop: AbortSignal) {
    const { session, store, candidacies } = this.context;
    const grant = await session.current(stop);
    let token: bigint | undefined;
    try {
      token = await store.enqueue(this.name, grant.id, id, value, stop);
    } catch (error) {
      // The join may have applied before its answer was lost: a row left on our live session
      // would one day lead with nobody behind it. Rows this client knows of stay.
      await removeAbandoned(
        grant.lease,
        () => store.discardStray(this.name, grant.id, candidacies.tokensIn(grant.id, this.name)),
        (err) => this.context.logger.debug({ election: this.name, err }, 'could not remove a row whose join failed'),
      );
      throw error;
    }
    if (token === undefined) {
      // The store ended our session before our renewals noticed: start over on a fresh one.
      grant.lease.lose('expired');
      return undefined;
    }
    const candidate: Candidate = { id, token, grant };
    const feed = new LineFeed(this.context.notifications, this.name, token);
    const forget = candidacies.add(grant.id, this.name, token, feed.poke);
    let term: LeadershipTerm | undefined;
    try {
      if (!(await this.waitForTurn(candidate, feed, stop)) || !(await leaseReadyForTerm(grant.lease))) return undefined;
      term = this.startTerm(candidate, feed, forget);
    } finally {
      if (!term) {
        forget();
        feed.close();
        await this.discard(candidate);
      }
    }
    return handOutTerm(term, { scope: this.context.scope, stop, lease: grant.lease });
  }

  /**
   * Asks `try_lead` until it says 'leader' (true) or 'lost' (false), sleeping in between until
   * the predecessor's row is deleted or its session would expire. A failed `try_lead` (a lock
   * wait behind a fenced transaction cut short, a blip) is asked again without leaving the line,
   * for as long as our session holds.
   */
  private async waitForTurn(candidate: Candidate, feed: LineFeed, stop: AbortSignal): Promise<boolean> {
    const { store, notifications } = this.context;
    const { grant, token } = candidate;
    const unlost = grant.lease.onLost(feed.poke);
    let failures = 0;
    try {
      for (;;) {
        if (!grant.lease.isValid) return false;
        feed.arm();
        let turn: Awaited<ReturnType<typeof store.tryLead>>;
        try {
          turn = await store.tryLead(this.name, token, grant.id, stop);
          failures = 0;
        } catch (error) {
          if (stop.aborted || !isTransient(error)) throw error;
          this.context.logger.debug({ election: this.name, err: error }, 'turn check failed; asking again');
          await sleep(backoffDelay(failures++, 50, 1_000), stop);
          continue;
        }
        if (turn.status !== 'waiting') return turn.status === 'leader' && grant.lease.isValid;
        const recheckMs = turn.recheckMs + RECHECK_SLACK_MS;
        await feed.waitFor(
          turn.predecessor,
          notifications.listening ? recheckMs : Math.min(recheckMs, POLL_WHILE_DEAF_MS),
          stop,
        );
      }
    } finally {
      unlost();
    }
  }

  /**
   * Removes a row we gave up on (guarded: never a successor's). Our session outlives the
   * attempt, so a row that cannot be removed now is retried until it goes: left there, it
   * would stand before our next attempt's row for as long as the session is renewed.
   */
  private async discard({ token, grant }: Candidate): Promise<void> {
    await removeAbandoned(
      grant.lease,
      async () => {
        await this.context.store.release(this.name, token, grant.id);
      },
      (err) =>
        this.context.logger.debug({ election: this.name, err }, 'could not remove an abandoned candidacy; retrying'),
    );
  }

  /**
   * The leadership: deposed when its row is deleted, or found no longer ours (taken over by
   * another session) when its value changes or it is asked to check; expired with its session.
   */
  private startTerm({ id, token, grant }: Candidate, feed: LineFeed, forget: () => void): LeadershipTerm {
    const { store, logger } = this.context;
    const term = new LeadershipTerm({
      election: this.name,
      id,
      token,
      logger,
      requestTimeoutMs: store.requestTimeoutMs,
      validUntil: () => grant.lease.deadline,
      actions: {
        proclaim: async (value, signal) => {
          if (!(await store.proclaim(this.name, token, grant.id, value, signal))) {
            throw new LeadershipLostError('deposed', 'the candidacy is no longer this client’s');
          }
        },
        release: async (signal) => {
          forget();
          await store.release(this.name, token, grant.id, signal);
        },
      },
    });
    const ended = new AbortController();
    let checking = false;
    let again = false;
    const check = async (): Promise<void> => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          if (!(await store.holds(this.name, token, grant.id, ended.signal))) term.end('deposed');
        } while (again && !ended.signal.aborted);
      } catch (error) {
        // Unreadable now: the lease decides (a renewal that fails ends the term under 'abort').
        if (!ended.signal.aborted) logger.debug({ election: this.name, err: error }, 'could not check the leader row');
      } finally {
        checking = false;
      }
    };
    term.onEnd(() => {
      ended.abort();
      forget();
      feed.close();
    });
    feed.lead((event: OwnRowEvent) => {
      if (event === 'D') term.end('deposed');
      else void check();
    });
    return term;
  }
}
