import { describe, it } from 'vitest';
import { backendAvailability, INSTALL_HINT, requireBackends } from './availability.js';
import { driverFor } from './drivers.js';
import type { BackendKind } from './types.js';

export type DescribeLike = (name: string, fn: () => void) => void;

/**
 * `describe` when the backend is available. Otherwise the suite must not pass silently: it
 * fails if the backend is required (BATON_REQUIRE_BACKENDS), and is skipped with a loud line
 * on the console if not.
 */
export function describeBackend(kind: BackendKind): DescribeLike {
  const { available, how } = backendAvailability(kind);
  if (available) return (name, fn) => describe(name, fn);
  const driver = driverFor(kind);
  if (requireBackends().has(kind)) {
    return (name) =>
      describe(name, () => {
        it(`needs a ${kind} server`, () => {
          throw new Error(
            `${kind} is required (BATON_REQUIRE_BACKENDS) but unavailable: ${how}. ` +
              `Install it with: ${INSTALL_HINT}, or set ${driver.envVar}${driver.container ? ', or start a Docker engine' : ''}.`,
          );
        });
      });
  }
  return (name, fn) => {
    console.warn(`[baton] SKIPPING ${kind} tests (${name}): ${how}. Install with: ${INSTALL_HINT}`);
    describe.skip(name, fn);
  };
}
