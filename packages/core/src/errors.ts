/** Why a leadership ended. Delivered once per leadership, through `ended` and `signal.reason`. */
export type EndReason = 'resigned' | 'expired' | 'deposed' | 'connection-lost' | 'closed';

export type ErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_BACKEND_UNAVAILABLE'
  | 'ERR_AUTH'
  | 'ERR_CLOSED'
  | 'ERR_ADAPTER_NOT_INSTALLED'
  | 'ERR_ADAPTER_LOAD_FAILED'
  | 'ERR_CAPABILITY_MISSING'
  | 'ERR_LEADERSHIP_LOST'
  | 'ERR_STALE_TOKEN'
  | 'ABORT_ERR';

/**
 * Marks Baton's errors. A `Symbol.for` key is the same in every copy of @baton/core in one
 * process (an adapter may bring a nested copy), so errors are recognised across copies.
 */
const brand = Symbol.for('baton.error');

function isBranded(value: unknown): value is BatonError {
  return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
}

/**
 * Base of every error Baton throws; `code` is stable across releases, messages are not.
 * `instanceof` works across copies of @baton/core: an error of any copy is an instance of
 * BatonError, and of the class of the same name.
 */
export class BatonError extends Error {
  readonly code: ErrorCode;
  declare readonly [brand]: true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, brand, { value: true });
  }

  // `this` is the class `instanceof` was asked about (BatonError or a subclass), on purpose.
  // biome-ignore-start lint/complexity/noThisInStatic: the check depends on which class it is called on
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (!isBranded(value)) return false;
    if (this === BatonError) return true;
    return Function.prototype[Symbol.hasInstance].call(this, value) || value.name === this.name;
  }
  // biome-ignore-end lint/complexity/noThisInStatic: see above
}

/** A name, ttl, URL, value or option is malformed. Thrown before anything touches the store. */
export class InvalidArgumentError extends BatonError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_ARGUMENT', message, options);
  }
}

/** The store could not be reached within `connectTimeoutMs`, or stopped answering. */
export class BackendUnavailableError extends BatonError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BACKEND_UNAVAILABLE', message, options);
  }
}

/** The store refused the credentials. */
export class AuthError extends BatonError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_AUTH', message, options);
  }
}

/** The backend was closed; nothing more can be done with it. */
export class ClosedError extends BatonError {
  constructor(message = 'the backend is closed') {
    super('ERR_CLOSED', message);
  }
}

/** `connect()` was given a scheme whose adapter package is not installed. */
export class AdapterNotInstalledError extends BatonError {
  readonly packageName: string;

  constructor(scheme: string, packageName: string, options?: { cause?: unknown }) {
    super(
      'ERR_ADAPTER_NOT_INSTALLED',
      `no backend is registered for "${scheme}://"; install ${packageName} (npm install ${packageName})`,
      options,
    );
    this.packageName = packageName;
  }
}

/**
 * An adapter package is installed but could not be loaded: a dependency missing, a throw at
 * import, a native addon built for another Node version. Not worth a retry: fix the install.
 */
export class AdapterLoadError extends BatonError {
  readonly packageName: string;

  constructor(packageName: string, detail: string, options?: { cause?: unknown }) {
    super('ERR_ADAPTER_LOAD_FAILED', `${packageName} is installed but could not be loaded: ${detail}`, options);
    this.packageName = packageName;
  }
}

/** `connect({ requires })` named a capability the backend does not have. */
export class CapabilityMissingError extends BatonError {
  readonly missing: readonly string[];

  constructor(kind: string, missing: readonly string[]) {
    super('ERR_CAPABILITY_MISSING', `the ${kind} backend lacks required capabilities: ${missing.join(', ')}`);
    this.missing = missing;
  }
}

/** The abort reason of `Leadership.signal`: leadership is no longer certain. */
export class LeadershipLostError extends BatonError {
  readonly reason: EndReason;

  constructor(reason: EndReason, message?: string, options?: { cause?: unknown }) {
    super('ERR_LEADERSHIP_LOST', message ?? `leadership ended: ${reason}`, options);
    this.reason = reason;
  }
}

/** A write carried a fencing token lower than one the resource has already seen. */
export class StaleTokenError extends BatonError {
  readonly resource: string;
  readonly token: bigint;
  readonly highest: bigint;

  constructor(resource: string, token: bigint, highest: bigint) {
    super('ERR_STALE_TOKEN', `stale fencing token ${token} for "${resource}": ${highest} was already seen`);
    this.resource = resource;
    this.token = token;
    this.highest = highest;
  }
}

/** A wait was cancelled through its AbortSignal. Named `AbortError` like the platform's. */
export class AbortError extends BatonError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('ABORT_ERR', message, options);
    this.name = 'AbortError';
  }
}

/** Whether `error` is a Baton error (of any copy of @baton/core), with `code` when given. */
export function isBatonError(error: unknown, code?: ErrorCode): error is BatonError {
  return isBranded(error) && (code === undefined || error.code === code);
}
