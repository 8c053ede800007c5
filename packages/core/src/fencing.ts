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

  /** Admits `token` for `resource` or throws StaleTokenError; remembers it when admitted. */
  admit(resource: string, token: bigint): void {
    if (typeof resource !== 'string' || resource.length === 0) {
      throw new InvalidArgumentError('resource must be a non-empty string');
    }
    if (typeof token !== 'bigint' || token <= 0n) throw new InvalidArgumentError('token must be a bigint > 0');
    const seen = this.highest.get(resource);
    if (seen !== undefined && token < seen) throw new StaleTokenError(resource, token, seen);
    this.highest.set(resource, token);
  }

  /** Runs `write` only if `token` is admitted for `resource`. */
  async write<T>(resource: string, token: bigint, write: () => Promise<T> | T): Promise<T> {
    this.admit(resource, token);
    return await write();
  }

  highestSeen(resource: string): bigint | undefined {
    return this.highest.get(resource);
  }
}
