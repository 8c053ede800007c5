import { backoffDelay, sleep } from './abort.js';

/** What keeps something a campaign left in the store alive there: its lease or session. */
export interface HoldsAbandoned {
  /** False once the store removes what the lease holds by itself (expired, revoked, closed). */
  readonly isValid: boolean;
}

/**
 * Removes what a campaign attempt gave up on (a candidate key, node or row) from a lease that
 * outlives the attempt, as every client's lease outlives its campaigns. Left behind, it would
 * one day lead with nobody behind it, and every later candidate, this client's next attempt
 * included, would wait behind it for as long as the lease is renewed. Tries once at once; if
 * that fails (the store is unreachable, which is often why the attempt was given up), keeps
 * trying in the background with backoff while the lease lives. Once the lease ends the store
 * removes it anyway.
 *
 * Resolves after the first try and never rejects; `remove` must be bounded and guarded (it
 * removes only what is still ours, never a successor's).
 */
export async function removeAbandoned(
  holder: HoldsAbandoned,
  remove: () => Promise<void>,
  onFailure: (error: unknown) => void,
): Promise<void> {
  try {
    await remove();
    return;
  } catch (error) {
    onFailure(error);
  }
  void (async () => {
    for (let attempt = 0; holder.isValid; attempt++) {
      await sleep(backoffDelay(attempt, 100, 1_000));
      if (!holder.isValid) return;
      try {
        await remove();
        return;
      } catch (error) {
        onFailure(error);
      }
    }
  })();
}
