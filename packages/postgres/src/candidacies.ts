/**
 * The candidacies this client holds in the store, by session, so that a renewal, which also
 * counts the rows on the session, can tell that one was deleted behind the client's back
 * (a notification lost with a broken LISTEN connection): then every holder checks its own.
 */
export class Candidacies {
  private readonly live = new Map<string, { session: string; election: string; token: bigint; recheck: () => void }>();

  /** Registers a row the store has confirmed; returns its removal (call it before deleting the row). */
  add(session: string, election: string, token: bigint, recheck: () => void): () => void {
    const key = `${session}\n${election}\n${token}`;
    this.live.set(key, { session, election, token, recheck });
    return () => {
      this.live.delete(key);
    };
  }

  /** The tokens this client holds in `election` on `session`. */
  tokensIn(session: string, election: string): bigint[] {
    return [...this.live.values()].filter((c) => c.session === session && c.election === election).map((c) => c.token);
  }

  /** The store counted `rows` rows on `session`: fewer than registered means one went; all check. */
  counted(session: string, rows: number): void {
    const mine = [...this.live.values()].filter((c) => c.session === session);
    if (rows < mine.length) for (const candidacy of mine) candidacy.recheck();
  }
}
