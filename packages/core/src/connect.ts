import { createRequire } from 'node:module';
import type { Backend, BackendOptions, ResolvedBackendOptions } from './backend.js';
import { assertCapabilities } from './capabilities.js';
import {
  AdapterLoadError,
  AdapterNotInstalledError,
  BackendUnavailableError,
  BatonError,
  InvalidArgumentError,
} from './errors.js';
import { adapterPackages, type BackendFactory, findBackend } from './registry.js';
import { configureTelemetry } from './telemetry.js';
import { redactUrl, resolveBackendOptions } from './validation.js';

/**
 * Connects to the store a URL names; the scheme picks the adapter package:
 * `memory://`, `etcd://`, `zookeeper://`, `consul://`, `consuls://`, `redis://`, `rediss://`,
 * `postgres://`, `postgresql://`. An adapter package not yet imported is imported on first use.
 * @throws InvalidArgumentError (ERR_INVALID_ARGUMENT) for a malformed URL or option, before any round trip.
 * @throws AdapterNotInstalledError (ERR_ADAPTER_NOT_INSTALLED) when the scheme's package is not installed.
 * @throws AdapterLoadError (ERR_ADAPTER_LOAD_FAILED) when it is installed but does not load (the cause named).
 * @throws CapabilityMissingError (ERR_CAPABILITY_MISSING) when the backend lacks one of `options.requires`.
 * @throws BackendUnavailableError (ERR_BACKEND_UNAVAILABLE) when the store does not answer within `connectTimeoutMs`.
 * @throws AuthError (ERR_AUTH) when the store refuses the credentials.
 */
export async function connect(url: string, options?: BackendOptions): Promise<Backend> {
  const resolved = resolveBackendOptions(options);
  return open(await loadFactory(schemeOf(url)), url, resolved);
}

/**
 * Connects through a given factory: what `connect()` does once it has found the adapter.
 * For adapters' own entry points that take store-specific options in code.
 * @throws the same errors as `connect()`, and InvalidArgumentError for a URL of another scheme.
 */
export async function connectWith<U>(
  factory: BackendFactory<U>,
  url: string,
  options?: BackendOptions,
): Promise<Backend> {
  const resolved = resolveBackendOptions(options);
  const scheme = schemeOf(url);
  if (!factory.schemes.includes(scheme)) {
    throw new InvalidArgumentError(
      `the ${factory.kind} backend takes ${factory.schemes.map((known) => `${known}://`).join(' or ')} URLs, not "${scheme}://"`,
    );
  }
  return open(factory, url, resolved);
}

/** Parses the URL once (the factory's typed view), checks the capabilities, connects within the timeout. */
async function open<U>(factory: BackendFactory<U>, url: string, resolved: ResolvedBackendOptions): Promise<Backend> {
  const parsed = factory.parseUrl(url);
  assertCapabilities(factory.kind, factory.capabilities(resolved, parsed), resolved.requires);

  const controller = new AbortController();
  const pending = factory.connect(parsed, resolved, controller.signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new BackendUnavailableError(
        `could not connect to ${redactUrl(url)} within ${resolved.connectTimeoutMs} ms`,
      );
      controller.abort(error);
      // The adapter may know why (a server up but not ready, say): its own rejection, if it
      // comes at once, wins the race and is told with the timeout's message.
      timer = setTimeout(() => reject(error), EXPLANATION_GRACE_MS);
    }, resolved.connectTimeoutMs);
  });
  try {
    const backend = await Promise.race([pending, timeout]);
    if (controller.signal.aborted) {
      // Connected after we gave up on it (within the grace for an explanation): too late.
      backend.close().catch(() => undefined);
      throw controller.signal.reason;
    }
    const configurable = backend as { [configureTelemetry]?: (provider: unknown) => void };
    configurable[configureTelemetry]?.(resolved.meterProvider);
    return backend;
  } catch (error) {
    if (controller.signal.aborted) {
      // The adapter may still succeed after we gave up on it; close what it returns.
      pending.then((backend) => backend.close()).catch(() => undefined);
      throw explainedTimeout(controller.signal.reason as BackendUnavailableError, error);
    }
    if (error instanceof BatonError) throw error;
    throw new BackendUnavailableError(`could not connect to ${redactUrl(url)}: ${describe(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** The URL's scheme, lower-cased, without "://". */
function schemeOf(url: unknown): string {
  if (typeof url !== 'string' || url.length === 0) {
    throw new InvalidArgumentError('backend URL must be a non-empty string');
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1];
  if (!scheme) throw new InvalidArgumentError(`"${redactUrl(url)}" is not a backend URL (scheme://...)`);
  return scheme.toLowerCase();
}

async function loadFactory(scheme: string): Promise<BackendFactory<unknown>> {
  const registered = findBackend(scheme);
  if (registered) return registered;
  const packageName = adapterPackages[scheme];
  if (!packageName) {
    throw new InvalidArgumentError(
      `unknown backend scheme "${scheme}://"; known: ${Object.keys(adapterPackages)
        .map((known) => `${known}://`)
        .join(', ')}`,
    );
  }
  try {
    // Adapter packages register themselves when first imported.
    await import(packageName);
  } catch (cause) {
    if (!resolvable(packageName)) throw new AdapterNotInstalledError(scheme, packageName, { cause });
    throw new AdapterLoadError(packageName, describe(cause), { cause });
  }
  const loaded = findBackend(scheme);
  if (!loaded) throw new AdapterNotInstalledError(scheme, packageName);
  return loaded;
}

/**
 * Whether `packageName` itself can be found from here (installed), whatever happens when it
 * is loaded: only "not found" means not installed; a package found but refusing this way of
 * resolving it (no "require" export) is installed.
 */
function resolvable(packageName: string): boolean {
  try {
    createRequire(import.meta.url).resolve(packageName);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code !== 'MODULE_NOT_FOUND';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How long a connect that timed out waits for the adapter to say why. */
const EXPLANATION_GRACE_MS = 200;

/** The timeout's error, with the adapter's own account of it appended when it gave one. */
function explainedTimeout(timedOut: BackendUnavailableError, reason: unknown): BatonError {
  if (reason === timedOut || !(reason instanceof BatonError) || reason.message.includes(timedOut.message)) {
    return timedOut;
  }
  if (!(reason instanceof BackendUnavailableError)) return reason; // e.g. refused credentials: the real answer
  return new BackendUnavailableError(`${timedOut.message}: ${reason.message}`, { cause: reason });
}
