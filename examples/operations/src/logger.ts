import type { Logger } from '@baton/core';

/** One JSON object per line on stdout, as a log collector in a cluster expects; errors by message. */
export function jsonLogger(replica: string): Logger {
  const write =
    (level: string) =>
    (fields: object, message?: string): void => {
      const record: Record<string, unknown> = { time: new Date().toISOString(), level, replica, msg: message };
      for (const [key, value] of Object.entries(fields)) {
        record[key] = value instanceof Error ? `${value.name}: ${value.message}` : value;
      }
      process.stdout.write(`${JSON.stringify(record, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}\n`);
    };
  return { debug: () => {}, info: write('info'), warn: write('warn'), error: write('error') };
}
