import { dockerEngine } from './docker.js';
import { driverFor } from './drivers.js';
import { env } from './env.js';
import { BACKEND_KINDS, type BackendKind } from './types.js';

export const INSTALL_HINT = 'bash scripts/install-backends.sh';

export type Resolution =
  | { readonly source: 'env'; readonly url: string; readonly how: string }
  | { readonly source: 'local'; readonly how: string }
  | { readonly source: 'container'; readonly how: string }
  | { readonly source: 'none'; readonly how: string };

/** The order startServer follows: an external URL, a local binary, Docker, nothing. */
export function resolveBackend(kind: BackendKind): Resolution {
  const driver = driverFor(kind);
  const url = env(driver.envVar);
  if (url) return { source: 'env', url, how: `${driver.envVar}=${url}` };
  const local = driver.findLocal();
  if (local.found) return { source: 'local', how: `local ${driver.program} ${local.path}` };
  if (!driver.container) return { source: 'none', how: `${local.reason}, no ${driver.envVar}, no container image` };
  const docker = dockerEngine();
  if (docker.reachable) return { source: 'container', how: `container via ${docker.how}` };
  return { source: 'none', how: `${local.reason}, no ${driver.envVar}, ${docker.how}` };
}

export function backendAvailability(kind: BackendKind): { available: boolean; how: string } {
  const resolution = resolveBackend(kind);
  return { available: resolution.source !== 'none', how: resolution.how };
}

/**
 * BATON_REQUIRE_BACKENDS: a comma list of kinds, or "all". A required backend that is
 * unavailable fails its tests instead of skipping them, so CI cannot go green by skipping.
 */
export function requireBackends(): Set<BackendKind> {
  const raw = (env('BATON_REQUIRE_BACKENDS') ?? '').trim().toLowerCase();
  if (raw === '') return new Set();
  if (raw === 'all') return new Set(BACKEND_KINDS);
  const kinds = new Set<BackendKind>();
  for (const item of raw.split(',')) {
    const name = item.trim();
    if (name === '') continue;
    const kind = BACKEND_KINDS.find((k) => k === name);
    // A typo must not quietly turn a requirement off.
    if (!kind) {
      throw new Error(
        `BATON_REQUIRE_BACKENDS: unknown backend "${name}"; use a comma list of ${BACKEND_KINDS.join(', ')}, or all`,
      );
    }
    kinds.add(kind);
  }
  return kinds;
}
