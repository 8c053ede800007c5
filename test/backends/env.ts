/**
 * The harness's configuration variables; empty counts as unset. Tests under test/ run through
 * vitest, not as turbo tasks, so turbo's env declarations (which biome's noUndeclaredEnvVars
 * enforces for direct process.env reads) have nothing to declare here.
 */
export function env(name: string): string | undefined {
  const value = process.env[name];
  return value === '' ? undefined : value;
}
