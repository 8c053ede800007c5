import { AuthError, BackendUnavailableError, BatonError, InvalidArgumentError } from '@baton/core/adapter';

/** What the API server answered, when it answered: the HTTP status and its Status object's reason and message. */
export interface ApiAnswer {
  readonly status: number;
  readonly reason?: string;
  readonly message?: string;
}

/** A non-2xx answer of the API server, with its Status object read. */
export class ApiStatusError extends Error {
  readonly answer: ApiAnswer;

  constructor(what: string, answer: ApiAnswer) {
    super(`${what}: HTTP ${answer.status}${answer.reason ? ` ${answer.reason}` : ''}: ${answer.message ?? ''}`);
    this.name = 'ApiStatusError';
    this.answer = answer;
  }
}

/** The Status object of an error body (a JSON string or an object), as far as it can be read. */
export function readStatus(status: number, body: unknown): ApiAnswer {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return { status, ...(body === '' ? {} : { message: body.slice(0, 500) }) };
    }
  }
  const object = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
    reason?: unknown;
    message?: unknown;
  };
  return {
    status,
    ...(typeof object.reason === 'string' ? { reason: object.reason } : {}),
    ...(typeof object.message === 'string' ? { message: object.message } : {}),
  };
}

function answerOf(error: unknown): ApiAnswer | undefined {
  return error instanceof ApiStatusError ? error.answer : undefined;
}

/** 409: the resourceVersion precondition failed (Conflict), or a create found the object there (AlreadyExists). */
export function isConflict(error: unknown): boolean {
  return answerOf(error)?.status === 409;
}

export function isNotFound(error: unknown): boolean {
  return answerOf(error)?.status === 404;
}

/**
 * Maps a failed call to Baton's typed errors: 401 and 403 to AuthError (403 names what the
 * Role lacks), 400 and 422 to InvalidArgumentError, everything else (no answer, 429, 5xx)
 * to BackendUnavailableError, which campaigns retry.
 */
export function kubernetesError(what: string, error: unknown): BatonError {
  if (error instanceof BatonError) return error;
  const answer = answerOf(error);
  if (!answer) {
    const message = error instanceof Error ? error.message : String(error);
    return new BackendUnavailableError(`kubernetes: ${what} failed: ${message}`, { cause: error });
  }
  const detail = `HTTP ${answer.status}${answer.message ? `: ${answer.message}` : ''}`;
  if (answer.status === 401) {
    return new AuthError(`kubernetes: ${what}: the API server refused the credentials (${detail})`, { cause: error });
  }
  if (answer.status === 403) {
    return new AuthError(
      `kubernetes: ${what}: forbidden (${detail}); the Role needs get, list, watch, create and update on coordination.k8s.io leases`,
      { cause: error },
    );
  }
  if (answer.status === 400 || answer.status === 422) {
    return new InvalidArgumentError(`kubernetes: ${what}: the API server refused it (${detail})`, { cause: error });
  }
  return new BackendUnavailableError(`kubernetes: ${what} failed (${detail})`, { cause: error });
}

/** Whether a failure is worth another attempt: the API server was unreachable, overloaded or restarting. */
export function isTransient(error: unknown): boolean {
  return kubernetesError('', error) instanceof BackendUnavailableError;
}
