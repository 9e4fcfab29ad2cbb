// API tokens (issue 6, item 2): who may call /api/v1, with which role. Only the SHA-256 of a token is stored, so
// a copy of the database (a backup, a shared PostgreSQL) lets nobody call the API.
import { type Kysely, type Migration, sql } from 'kysely';

// Frozen history, as in 0001: the roles this migration allows, spelled out. A new role needs a new migration.
const API_ROLES = ['viewer', 'operator', 'admin'];

export function apiTokensSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        // Unique: `token revoke NAME` and the audit log's actor must name one token.
        .addColumn('name', 'text', (c) =>
          c
            .notNull()
            .unique()
            .check(sql`name <> ''`),
        )
        .addColumn('role', 'text', (c) => c.notNull())
        // 64 hex digits. Unique, and the lookup key of every authenticated request.
        .addColumn('token_hash', 'text', (c) =>
          c
            .notNull()
            .unique()
            .check(sql`length(token_hash) = 64`),
        )
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addCheckConstraint(
          'api_tokens_role_valid',
          sql`role in (${sql.join(API_ROLES.map((role) => sql.lit(role)))})`,
        )
        .execute();
    },
  };
}
