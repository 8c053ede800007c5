import { type Backend, type BackendOptions, isBatonError } from '@baton/core';
import type { StoreOptions } from '../arguments.js';
import type { Fields, Output } from '../output.js';
import { logfmt } from '../output.js';
import { openStore } from '../store.js';

type Logger = NonNullable<BackendOptions['logger']>;

/** An error's stable code (Baton's, or a system error's) and its message. */
export function describeError(error: unknown): { code: string; message: string } {
  if (isBatonError(error)) return { code: error.code, message: error.message };
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { code: typeof code === 'string' ? code : 'ERR_UNEXPECTED', message: error.message };
  }
  return { code: 'ERR_UNEXPECTED', message: String(error) };
}

/** What to check for each typed error, printed after it. */
export function hintFor(code: string): string | undefined {
  switch (code) {
    case 'ERR_INVALID_ARGUMENT':
      return 'the URL, the election name (1-128 of A-Z a-z 0-9 . _ - /), --ttl, --id and --value';
    case 'ERR_BACKEND_UNAVAILABLE':
      return "that the store runs and listens at the URL's host and port, that nothing between blocks it, and --connect-timeout";
    case 'ERR_AUTH':
      return "the credentials in the URL (user:password@ for Redis, ?token= for Consul) and the store's ACLs";
    case 'ERR_ADAPTER_NOT_INSTALLED':
      return 'the URL scheme, and install the adapter package the message names next to @baton/cli';
    case 'ERR_CAPABILITY_MISSING':
      return 'whether this store offers what was required';
    default:
      return undefined;
  }
}

/** Prints an error with its code and hint; returns nothing so callers choose the status. */
export function reportError(output: Output, error: unknown): void {
  const described = describeError(error);
  output.error({ ...described, hint: hintFor(described.code) });
}

/**
 * The logger handed to the store client. Its lines (leases lost, ttls raised, retries)
 * repeat what baton's own status lines say, so they are shown only with `--verbose`.
 */
export function storeLogger(output: Output, verbose: boolean): Logger {
  const ignore = (): void => {};
  if (!verbose) return { debug: ignore, info: ignore, warn: ignore, error: ignore };
  const line =
    (level: string) =>
    (fields: object, message?: string): void => {
      const flat: Record<string, Fields[string]> = {};
      for (const [key, value] of Object.entries(fields)) {
        flat[key] =
          value instanceof Error
            ? value.message
            : typeof value === 'object' && value !== null
              ? JSON.stringify(value)
              : (value as Fields[string]);
      }
      output.status('log', { level, message, ...flat }, `[${level}] ${message ?? ''} ${logfmt(flat)}`.trimEnd());
    };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

/** Connects with the command's options, runs `use`, and closes the backend whatever happens. */
export async function withStore<T>(
  options: StoreOptions & { readonly ttlMs?: number | undefined },
  use: (backend: Backend) => Promise<T>,
): Promise<T> {
  const backend = await openStore(options.url, {
    ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
  });
  try {
    return await use(backend);
  } finally {
    await backend.close().catch(() => undefined);
  }
}
