import type { Backend, BackendOptions } from './backend.js';
import { assertCapabilities } from './capabilities.js';
import { AdapterNotInstalledError, BackendUnavailableError, BatonError, InvalidArgumentError } from './errors.js';
import { adapterPackages, type BackendFactory, findBackend } from './registry.js';
import { parseBackendUrl, redactUrl, resolveBackendOptions } from './validation.js';

/**
 * Connects to the store a URL names; the scheme picks the adapter package:
 * `memory://`, `etcd://`, `zookeeper://`, `consul://`, `consuls://`, `redis://`, `rediss://`.
 * Bad input fails with ERR_INVALID_ARGUMENT before any round trip; a store that does not
 * answer within `connectTimeoutMs` fails with ERR_BACKEND_UNAVAILABLE.
 */
export async function connect(url: string, options?: BackendOptions): Promise<Backend> {
  resolveBackendOptions(options);
  const scheme = parseBackendUrl(url).protocol.slice(0, -1);
  return connectWith(await loadFactory(scheme), url, options);
}

/**
 * Connects through a given factory: what `connect()` does once it has found the adapter.
 * For adapters' own entry points that take store-specific options in code.
 */
export async function connectWith(factory: BackendFactory, url: string, options?: BackendOptions): Promise<Backend> {
  const resolved = resolveBackendOptions(options);
  const parsed = parseBackendUrl(url);
  factory.validateUrl(parsed, url);
  assertCapabilities(factory.kind, factory.capabilities(resolved, url), resolved.requires);

  const controller = new AbortController();
  const pending = factory.connect(parsed, url, resolved, controller.signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new BackendUnavailableError(
        `could not connect to ${redactUrl(url)} within ${resolved.connectTimeoutMs} ms`,
      );
      controller.abort(error);
      reject(error);
    }, resolved.connectTimeoutMs);
  });
  try {
    return await Promise.race([pending, timeout]);
  } catch (error) {
    if (controller.signal.aborted) {
      // The adapter may still succeed after we gave up on it; close what it returns.
      pending.then((backend) => backend.close()).catch(() => undefined);
      throw controller.signal.reason;
    }
    if (error instanceof BatonError) throw error;
    throw new BackendUnavailableError(`could not connect to ${redactUrl(url)}: ${describe(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

async function loadFactory(scheme: string): Promise<BackendFactory> {
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
    throw new AdapterNotInstalledError(scheme, packageName, { cause });
  }
  const loaded = findBackend(scheme);
  if (!loaded) throw new AdapterNotInstalledError(scheme, packageName);
  return loaded;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
