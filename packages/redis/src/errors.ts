import { AuthError, BackendUnavailableError, BatonError } from '@baton/core/adapter';

const AUTH_FAILURES = [
  /\bNOAUTH\b/,
  /\bWRONGPASS\b/,
  /\bNOPERM\b/,
  /invalid (username-)?password/i,
  /\bAUTH\b.*failed/i,
];

/** True when Redis refused the credentials (or the user lacks the permission to run Baton's commands). */
export function isAuthFailure(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return AUTH_FAILURES.some((pattern) => pattern.test(message));
}

/** The typed error a failed connection maps to: ERR_AUTH for refused credentials, else ERR_BACKEND_UNAVAILABLE. */
export function connectError(error: unknown, where: string): BatonError {
  if (error instanceof BatonError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isAuthFailure(error)) return new AuthError(`${where} refused the credentials: ${message}`, { cause: error });
  return new BackendUnavailableError(`could not connect to ${where}: ${message}`, { cause: error });
}
