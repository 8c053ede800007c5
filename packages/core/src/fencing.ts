import { InvalidArgumentError, StaleTokenError } from './errors.js';

/**
 * Keeps the highest fencing token seen per resource and refuses lower ones. Put it in front
 * of whatever the leader writes to: a lease alone cannot stop a paused or partitioned
 * ex-leader from writing, a token check can. Equal tokens pass: one leadership may write
 * many times. For a database, the same check is one conditional statement:
 *
 *   UPDATE invoices SET status = 'charged', fence = :token
 *    WHERE id = :id AND fence <= :token
 *
 * and a write that updates no row carried a stale token.
 */
export class FencingGuard {
  private readonly highest = new Map<string, bigint>();

  /**
   * Admits `token` for `resource`, remembering it as the highest seen.
   * @throws StaleTokenError (ERR_STALE_TOKEN) when a higher token was admitted before.
   * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for an empty resource or a token that is not a bigint > 0.
   */
  admit(resource: string, token: bigint): void {
    if (typeof resource !== 'string' || resource.length === 0) {
      throw new InvalidArgumentError('resource must be a non-empty string');
    }
    if (typeof token !== 'bigint' || token <= 0n) throw new InvalidArgumentError('token must be a bigint > 0');
    const seen = this.highest.get(resource);
    if (seen !== undefined && token < seen) throw new StaleTokenError(resource, token, seen);
    this.highest.set(resource, token);
  }

  /**
   * Runs `write` only if `token` is admitted for `resource`.
   * @throws the errors of `admit()`, before `write` runs; then whatever `write` throws.
   */
  async write<T>(resource: string, token: bigint, write: () => Promise<T> | T): Promise<T> {
    this.admit(resource, token);
    return await write();
  }

  /** The highest token admitted for `resource`, if any. */
  highestSeen(resource: string): bigint | undefined {
    return this.highest.get(resource);
  }
}
