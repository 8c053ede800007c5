import { AuthError, BackendUnavailableError, BatonError, InvalidArgumentError } from '@baton/core/adapter';

interface ClientError {
  readonly isResponse?: boolean;
  readonly isTimeout?: boolean;
  readonly isAbort?: boolean;
  readonly code?: string;
  readonly message?: string;
  readonly response?: { readonly statusCode?: number; readonly body?: unknown };
}

function asClientError(error: unknown): ClientError {
  return typeof error === 'object' && error !== null ? (error as ClientError) : {};
}

export function responseText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  if (body === undefined || body === null) return '';
  try {
    return JSON.stringify(body);
  } catch {
    return String(body);
  }
}

/** The request never got an HTTP answer: refused, reset, timed out. Another agent may do better. */
export function isTransportError(error: unknown): boolean {
  const e = asClientError(error);
  if (e.isResponse) return false;
  return (
    e.isTimeout === true || e.isAbort === true || typeof e.code === 'string' || /socket|hang up/i.test(e.message ?? '')
  );
}

/**
 * Maps what the consul client threw to Baton's typed errors: 403 (ACL) to AuthError, a ttl or
 * datacenter the server refuses to InvalidArgumentError, everything else (no answer, no
 * cluster leader, 5xx) to BackendUnavailableError.
 */
export function consulError(what: string, error: unknown): BatonError {
  if (error instanceof BatonError) return error;
  const e = asClientError(error);
  const status = e.response?.statusCode;
  const text = responseText(e.response?.body).trim() || e.message || String(error);
  // The client's error carries the whole HTTP response; keep only what it said.
  const cause = status === undefined ? error : new Error(`HTTP ${status}: ${text}`);
  if (status === 401 || status === 403) {
    return new AuthError(`consul refused the ACL token while ${what}: ${text}`, { cause });
  }
  if (/Session TTL/i.test(text)) {
    return new InvalidArgumentError(
      `consul refused the session ttl: ${text}. Consul's session_ttl_min is 10s unless the servers set it lower`,
      { cause },
    );
  }
  if (/No path to datacenter/i.test(text)) {
    return new InvalidArgumentError(`consul knows no such datacenter: ${text}`, { cause });
  }
  if (status === 400) return new InvalidArgumentError(`consul refused ${what}: ${text}`, { cause });
  const detail = status === undefined ? text : `HTTP ${status}: ${text}`;
  return new BackendUnavailableError(`consul ${what} failed: ${detail}`, { cause });
}
