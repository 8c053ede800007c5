import type { BackendOptions, DisconnectPolicy, ResolvedBackendOptions } from './backend.js';
import { type CapabilityName, capabilityNames } from './capabilities.js';
import { InvalidArgumentError } from './errors.js';
import { silentLogger } from './logger.js';
import { assertKnownKeys } from './option-keys.js';

export const MAX_NAME_LENGTH = 128;
export const MAX_VALUE_BYTES = 4096;
export const MAX_ID_LENGTH = 128;
export const DEFAULT_TTL_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

const NAME_CHARS = /^[A-Za-z0-9._\-/]+$/;
// Ids travel inside keys and znode data; printable ASCII without spaces keeps every store happy.
const ID_CHARS = /^[\x21-\x7e]+$/;

/**
 * Election names: 1-128 characters of `A-Z a-z 0-9 . _ - /`, no leading, trailing or
 * double `/`, no `.` or `..` segment. The same rule on every backend, so that a name
 * valid on memory is valid on etcd, ZooKeeper, Consul and Redis alike.
 */
export function validateElectionName(name: unknown): string {
  if (typeof name !== 'string') throw new InvalidArgumentError('election name must be a string');
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(`election name must be 1-${MAX_NAME_LENGTH} characters, got ${name.length}`);
  }
  if (!NAME_CHARS.test(name)) {
    throw new InvalidArgumentError(`election name "${name}" may contain only A-Z a-z 0-9 . _ - /`);
  }
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) {
    throw new InvalidArgumentError(`election name "${name}" has a leading, trailing or double "/"`);
  }
  if (name.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new InvalidArgumentError(`election name "${name}" has a "." or ".." segment`);
  }
  return name;
}

export function validateValue(value: unknown): string {
  if (typeof value !== 'string') throw new InvalidArgumentError('value must be a string');
  if (!isWellFormed(value)) throw new InvalidArgumentError('value must be well-formed UTF-16 (lone surrogate found)');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_VALUE_BYTES) {
    throw new InvalidArgumentError(`value is ${bytes} bytes of UTF-8; at most ${MAX_VALUE_BYTES} are allowed`);
  }
  return value;
}

export function validateCandidateId(id: unknown): string {
  if (typeof id !== 'string') throw new InvalidArgumentError('candidate id must be a string');
  if (id.length === 0 || id.length > MAX_ID_LENGTH || !ID_CHARS.test(id)) {
    throw new InvalidArgumentError(`candidate id must be 1-${MAX_ID_LENGTH} printable ASCII characters without spaces`);
  }
  return id;
}

export function validateTtlMs(ttlMs: unknown, what = 'ttlMs'): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new InvalidArgumentError(`${what} must be a finite number of milliseconds > 0, got ${String(ttlMs)}`);
  }
  if (ttlMs > 2 ** 31 - 1) throw new InvalidArgumentError(`${what} must be at most ${2 ** 31 - 1} ms`);
  return ttlMs;
}

export function validateSignal(signal: unknown, what = 'signal'): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new InvalidArgumentError(`${what} must be an AbortSignal`);
  return signal;
}

const DISCONNECT_POLICIES: readonly DisconnectPolicy[] = ['abort', 'tolerate-until-deadline'];

/** Every key of BackendOptions. */
const BACKEND_OPTION_KEYS: readonly string[] = [
  'ttlMs',
  'connectTimeoutMs',
  'onDisconnect',
  'requires',
  'logger',
  'strictTtl',
  'client',
  'meterProvider',
] satisfies readonly (keyof BackendOptions)[];

export function resolveBackendOptions(options: BackendOptions | undefined): ResolvedBackendOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidArgumentError('options must be an object');
  }
  if (options) assertKnownKeys('connect()', options, BACKEND_OPTION_KEYS);
  const ttlMs = options?.ttlMs === undefined ? DEFAULT_TTL_MS : validateTtlMs(options.ttlMs);
  const connectTimeoutMs =
    options?.connectTimeoutMs === undefined
      ? DEFAULT_CONNECT_TIMEOUT_MS
      : validateTtlMs(options.connectTimeoutMs, 'connectTimeoutMs');
  const onDisconnect = options?.onDisconnect ?? 'abort';
  if (!DISCONNECT_POLICIES.includes(onDisconnect)) {
    throw new InvalidArgumentError(`onDisconnect must be one of ${DISCONNECT_POLICIES.join(', ')}`);
  }
  const requires = options?.requires ?? [];
  if (!Array.isArray(requires)) throw new InvalidArgumentError('requires must be an array of capability names');
  for (const name of requires) {
    if (!capabilityNames.includes(name as CapabilityName)) {
      throw new InvalidArgumentError(`unknown capability "${String(name)}"; known: ${capabilityNames.join(', ')}`);
    }
  }
  const strictTtl = options?.strictTtl ?? false;
  if (typeof strictTtl !== 'boolean') throw new InvalidArgumentError('strictTtl must be a boolean');
  const meterProvider = options?.meterProvider;
  if (
    meterProvider !== undefined &&
    (typeof meterProvider !== 'object' ||
      meterProvider === null ||
      typeof (meterProvider as { getMeter?: unknown }).getMeter !== 'function')
  ) {
    throw new InvalidArgumentError('meterProvider must be an OpenTelemetry MeterProvider (an object with getMeter())');
  }
  return {
    ttlMs,
    connectTimeoutMs,
    onDisconnect,
    requires,
    logger: options?.logger ?? silentLogger,
    strictTtl,
    client: options?.client,
    meterProvider,
  };
}

/**
 * Parses a backend URL, turning any failure into ERR_INVALID_ARGUMENT. A multi-host
 * authority ("etcd://a:2379,b:2379/x") is parsed with its first host only, since WHATWG URL
 * parsing would read "2379,b:2379" as a port; adapters read the full host list from the raw
 * string with parseHostList().
 */
export function parseBackendUrl(url: unknown): URL {
  if (typeof url !== 'string' || url.length === 0) {
    throw new InvalidArgumentError('backend URL must be a non-empty string');
  }
  const firstHostOnly = url.replace(/^([a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?[^,/?#]*),[^/?#]*/i, '$1');
  try {
    return new URL(firstHostOnly);
  } catch (cause) {
    throw new InvalidArgumentError(`"${redactUrl(url)}" is not a valid URL`, { cause });
  }
}

/**
 * Splits the authority of a multi-host URL ("etcd://a:2379,b:2379/x") into host:port pairs.
 * WHATWG URL parsing rejects commas in hosts for special schemes only, so this reads the raw
 * string rather than URL.host.
 */
export function parseHostList(url: string, defaultPort: number): { host: string; port: number }[] {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]*)/i.exec(url);
  const authority = match?.[1] ?? '';
  if (authority === '') throw new InvalidArgumentError(`"${redactUrl(url)}" names no host`);
  return authority.split(',').map((part) => {
    const hostPort = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(part);
    if (!hostPort?.[1]) throw new InvalidArgumentError(`"${part}" is not host[:port] in "${redactUrl(url)}"`);
    const port = hostPort[2] === undefined ? defaultPort : Number(hostPort[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InvalidArgumentError(`port ${hostPort[2]} out of range in "${redactUrl(url)}"`);
    }
    return { host: hostPort[1], port };
  });
}

/**
 * The URL with its credentials masked, for messages and logs: the password of the user info,
 * and the value of every query parameter that names a credential (`token`, `password`,
 * `secret`, `auth`, `key`...), e.g. Consul's `?token=`.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1***@')
    .replace(/([?&][^=&#]*(?:token|pass|pwd|secret|auth|key|credential)[^=&#]*=)[^&#]*/gi, '$1***');
}

function isWellFormed(value: string): boolean {
  const candidate = value as string & { isWellFormed?: () => boolean };
  if (typeof candidate.isWellFormed === 'function') return candidate.isWellFormed();
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value);
}
