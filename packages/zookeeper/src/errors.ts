import { AuthError, BackendUnavailableError, BatonError, InvalidArgumentError } from '@baton/core/adapter';
import { ZK } from './native.js';

/** A request the ZooKeeper server (or the C client) refused, with its return code. */
export class ZkError extends Error {
  readonly rc: number;

  constructor(rc: number, what: string, detail?: string) {
    super(`ZooKeeper ${what} failed: ${detail ?? 'code'} (${rc})`);
    this.rc = rc;
    this.name = 'ZkError';
  }
}

export function hasCode(error: unknown, ...codes: number[]): boolean {
  return error instanceof ZkError && codes.includes(error.rc);
}

const AUTH_CODES: readonly number[] = [ZK.ZNOAUTH, ZK.ZAUTHFAILED, ZK.ZINVALIDACL];

/** Whether a campaign may retry after `error`: the connection or session failed, not the request. */
export function isTransient(error: unknown): boolean {
  if (error instanceof BackendUnavailableError) return true;
  if (!(error instanceof ZkError)) return false;
  const transient: readonly number[] = [
    ZK.ZCONNECTIONLOSS,
    ZK.ZOPERATIONTIMEOUT,
    ZK.ZINVALIDSTATE,
    ZK.ZSESSIONEXPIRED,
    ZK.ZCLOSING,
    ZK.ZSESSIONMOVED,
    ZK.ZSYSTEMERROR,
  ];
  return transient.includes(error.rc);
}

/** The typed Baton error for a ZooKeeper failure. */
export function toBatonError(error: unknown, what: string): Error {
  if (error instanceof BatonError) return error;
  if (error instanceof ZkError) {
    if (AUTH_CODES.includes(error.rc)) {
      return new AuthError(`ZooKeeper refused ${what}: not authorised (${error.rc})`, { cause: error });
    }
    if (error.rc === ZK.ZBADARGUMENTS) return new InvalidArgumentError(error.message, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new BackendUnavailableError(`ZooKeeper ${what} failed: ${message}`, { cause: error });
}
