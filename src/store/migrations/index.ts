// Migrations in code (design.md §5), so a binary carries exactly the schema it needs. Kysely's Migrator runs them
// in name order and records what ran; names are never reused or renamed once released.
import type { Migration, MigrationProvider } from 'kysely';
import type { StoreDialect } from '../types.js';
import { initialSchema } from './0001-initial.js';
import { apiTokensSchema } from './0002-api-tokens.js';
import { installMarkOriginSchema } from './0003-install-mark-origin.js';
import { capturedPacketsSchema } from './0004-captured-packets.js';

export function migrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001-initial': initialSchema(dialect),
    '0002-api-tokens': apiTokensSchema(),
    '0003-install-mark-origin': installMarkOriginSchema(),
    '0004-captured-packets': capturedPacketsSchema(dialect),
  };
}

export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrations(dialect)) };
}
