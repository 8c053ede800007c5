import { AuthError, BackendUnavailableError, BatonError } from '@baton/core/adapter';

/** SQLSTATEs that mean the server refused who we are or what we may do. */
const AUTH_STATES = new Set([
  '28000', // invalid_authorization_specification (no pg_hba.conf entry, a role that may not log in)
  '28P01', // invalid_password
  '42501', // insufficient_privilege
]);

/** The SQLSTATE of a server error (pg's DatabaseError), if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Credentials refused or missing: a SQLSTATE of class 28 or 42501, or pg's own refusal to send a SCRAM answer without a password. */
export function isAuthFailure(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== undefined) return AUTH_STATES.has(state);
  return error instanceof Error && /^SASL: .*password|password authentication failed/i.test(error.message);
}

/**
 * Turns what pg throws into Baton's typed errors: refused credentials become AuthError; any
 * other failure (the connection, a timeout, a lock wait cut short, the server shutting down)
 * becomes BackendUnavailableError, which a campaign retries. Baton's own errors pass
 * through. pg's messages name the role, never the password.
 */
export function toBatonError(error: unknown, what: string): Error {
  if (error instanceof BatonError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const state = sqlState(error);
  const detail = state === undefined ? message : `${message} (SQLSTATE ${state})`;
  if (isAuthFailure(error))
    return new AuthError(`PostgreSQL refused the credentials (${what}): ${detail}`, { cause: error });
  return new BackendUnavailableError(`PostgreSQL ${what} failed: ${detail}`, { cause: error });
}

/** Failures worth another attempt after a pause: the store was unreachable, slow or busy. */
export function isTransient(error: unknown): boolean {
  return error instanceof BackendUnavailableError;
}
