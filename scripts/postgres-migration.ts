// Writes packages/postgres/sql/001_init.sql from schemaSql(), the DDL Baton also runs on first
// use, so that the file a team applies ahead of time cannot drift from the code:
//   npx tsx --conditions=source scripts/postgres-migration.ts
import { writeFile } from 'node:fs/promises';
import { schemaSql } from '@baton/postgres';

export const MIGRATION_FILE = new URL('../packages/postgres/sql/001_init.sql', import.meta.url);

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(MIGRATION_FILE, schemaSql());
  console.log(`wrote ${MIGRATION_FILE.pathname}`);
}
