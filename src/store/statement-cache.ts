// Kysely's SQLite driver calls better-sqlite3's prepare() for every query, and compiling the SQL was a fifth of the
// DHCP server's CPU time under load (the lease upsert is long). Kysely sends the same SQL text for the same query
// shape, with values as parameters, so a cache by text lets a statement be compiled once and run many times.
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Statements kept; more distinct texts than this (IN lists of many lengths) evict the least recently used. */
export const STATEMENT_CACHE_SIZE = 200;

/**
 * `database` as Kysely sees it, with prepared statements reused by SQL text. Safe because Kysely runs one query at a
 * time on the connection and better-sqlite3 resets a statement after each run() or all(); the one exception would
 * be two interleaved streams (iterate()) of one text, and the store never streams. A statement whose schema changed
 * (a migration) is recompiled by SQLite itself (sqlite3_prepare_v2).
 */
export function withStatementCache(
  database: SqliteDatabase,
  size: number = STATEMENT_CACHE_SIZE,
): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    prepare(sql) {
      const cached = cache.get(sql);
      if (cached !== undefined) {
        // Map keeps insertion order: re-inserting makes it the most recently used.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > size) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
      return statement;
    },
    close() {
      cache.clear();
      database.close();
    },
  };
}
