import type { StartOptions } from '../../../../test/backends/index.js';

/** Loads pg_stat_statements, which the hooks' renewalCount reads. */
export const STATS_SETTINGS: StartOptions = { postgresSettings: { shared_preload_libraries: 'pg_stat_statements' } };

/** The same URL (credentials, database, parameters) reaching the server at host:port instead, e.g. through a proxy. */
export function urlVia(url: string, host: string, port: number): string {
  return url.replace(/@[^/?#]*/, `@${host}:${port}`);
}
