import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { env } from './env.js';

/** Where a local server program was found, or why not. */
export type Found =
  | { readonly found: true; readonly path: string }
  | { readonly found: false; readonly reason: string };

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** An absolute path that is executable, or a name looked up on PATH like a shell would. */
export function findExecutable(nameOrPath: string): string | undefined {
  if (isAbsolute(nameOrPath) || nameOrPath.includes('/')) return isExecutable(nameOrPath) ? nameOrPath : undefined;
  for (const dir of (env('PATH') ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, nameOrPath);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The program named by `envVar` if set (it must then exist: a wrong override is an error to
 * see, not a reason to fall back silently), else the first candidate found.
 */
export function findProgram(envVar: string, candidates: readonly string[], missing: string): Found {
  const override = env(envVar);
  if (override) {
    const path = findExecutable(override);
    return path ? { found: true, path } : { found: false, reason: `${envVar}=${override} is not an executable` };
  }
  for (const candidate of candidates) {
    const path = findExecutable(candidate);
    if (path) return { found: true, path };
  }
  return { found: false, reason: missing };
}
