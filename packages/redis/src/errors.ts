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

/**
 * `error` with the arguments of the command it carries masked when that command was AUTH or
 * HELLO: ioredis puts the failed command on its ReplyError, and theirs hold the password,
 * which would reach every log that prints the error's cause.
 */
export function withoutCredentials<T>(error: T): T {
  const command = (error as { command?: { name?: unknown; args?: unknown } } | undefined)?.command;
  if (
    command &&
    typeof command.name === 'string' &&
    /^(auth|hello)$/i.test(command.name) &&
    Array.isArray(command.args)
  ) {
    command.args = command.args.map(() => '***');
  }
  return error;
}

/** The typed error a failed connection maps to: ERR_AUTH for refused credentials, else ERR_BACKEND_UNAVAILABLE. */
export function connectError(error: unknown, where: string): BatonError {
  if (error instanceof BatonError) return error;
  withoutCredentials(error);
  const message = error instanceof Error ? error.message : String(error);
  if (isAuthFailure(error)) return new AuthError(`${where} refused the credentials: ${message}`, { cause: error });
  return new BackendUnavailableError(`could not connect to ${where}: ${message}`, { cause: error });
}
