import type { Election, LeaderInfo } from '@baton/core';

/** How often the election is read after a loss, on top of the watch. */
const POLL_EVERY_MS = 10;

/**
 * Watches an election while this process leads it, and reports the first time the store
 * shows it vacant or led under another token: from then on a successor can be elected,
 * so after a loss the command must be killed. During the term the watch is an `observe()`,
 * the notification a waiting candidate acts on too. After a loss it also reads the leader
 * every 10 ms, since the watch may be re-establishing itself after the very connection
 * failure that ended the term. The successor, for its part, still has to win its campaign
 * and start its own command.
 */
export class SuccessorWatch {
  private readonly controller = new AbortController();
  private readonly token: bigint;
  private readonly election: Election;
  private opened = false;
  private listener: (() => void) | undefined;

  constructor(election: Election, token: bigint) {
    this.election = election;
    this.token = token;
    const signal = this.controller.signal;
    void (async () => {
      for await (const leader of election.observe({ signal })) if (this.check(leader)) return;
    })().catch(() => {
      // observe() ends with an AbortError when stopped; it retries store errors itself.
    });
  }

  /** After a loss: calls `listener` once the store shows a vacancy or another leader (at once if it has). */
  afterLoss(listener: () => void): void {
    if (this.opened) {
      listener();
      return;
    }
    this.listener = listener;
    void this.poll();
  }

  stop(): void {
    this.controller.abort();
  }

  private async poll(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted && !this.opened) {
      try {
        if (this.check(await this.election.leader())) return;
      } catch {
        // The store is unreachable from here; the local deadline bounds the wait.
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
    }
  }

  /** Whether `leader` shows the store has moved on; reports it once. */
  private check(leader: LeaderInfo | undefined): boolean {
    if (leader !== undefined && leader.token === this.token) return false;
    if (!this.opened) {
      this.opened = true;
      this.listener?.();
    }
    return true;
  }
}
