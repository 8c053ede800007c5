import { AuthError, BackendUnavailableError, BatonError } from '@baton/core/adapter';
import etcd3 from 'etcd3';

/** etcd said the lease is unknown: revoked, or expired. Looks through Baton's wrapping (`cause`). */
export function isLeaseNotFound(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 3; depth++) {
    if (current instanceof etcd3.EtcdLeaseInvalidError || current.message.includes('requested lease not found')) {
      return true;
    }
    current = current.cause;
  }
  return false;
}

export function isAuthFailure(error: unknown): boolean {
  return (
    error instanceof etcd3.EtcdAuthenticationFailedError ||
    error instanceof etcd3.EtcdPermissionDeniedError ||
    error instanceof etcd3.EtcdInvalidAuthTokenError ||
    error instanceof etcd3.GRPCUnauthenticatedError ||
    (error instanceof Error &&
      /authentication failed|authentication is not enabled|permission denied|user name is empty|invalid auth token/.test(
        error.message,
      ))
  );
}

/**
 * Turns what the etcd3 client throws into Baton's typed errors: refused credentials become
 * AuthError; transport failures, timeouts and a closed client become BackendUnavailableError
 * (transient: a campaign retries them). Baton's own errors pass through.
 */
export function toBatonError(error: unknown, what: string): Error {
  if (error instanceof BatonError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isAuthFailure(error))
    return new AuthError(`etcd refused the credentials (${what}): ${message}`, { cause: error });
  return new BackendUnavailableError(`etcd ${what} failed: ${message}`, { cause: error });
}

/** Failures worth retrying after a pause: the store was unreachable or slow. */
export function isTransient(error: unknown): boolean {
  return error instanceof BackendUnavailableError;
}
