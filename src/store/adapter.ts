// What differs between the two dialects beyond the SQL Kysely generates: how constraint violations are reported,
// how appends to a log are ordered, and how two stores are kept from migrating one database at once. sqlite.ts and
// postgres.ts each make one per opened database.
import type { Expression, Kysely, RawBuilder } from 'kysely';
import type { Database } from './schema.js';
import type { StoreDialect } from './types.js';

export type DatabaseFailure = 'unavailable' | 'busy';

export interface SqlAdapter {
  readonly dialect: StoreDialect;
  /** Where the database is, as an error may name it: the SQLite file, or host:port/database (never credentials). */
  readonly target: string;
  /** The columns of the unique constraint `error` violated; undefined when it is not a unique violation. */
  uniqueViolation(error: unknown): readonly string[] | undefined;
  /** The name of the CHECK constraint `error` violated; undefined when it is not a check violation. */
  checkViolation(error: unknown): string | undefined;
  /**
   * What a driver error says about the database: `unavailable` when it cannot be reached or cannot write at all
   * (connection lost, disk full, I/O error), `busy` when another writer held it too long and a retry may work,
   * undefined for anything else (a constraint, a bug).
   */
  failure(error: unknown): DatabaseFailure | undefined;
  /** Calls `listener` when a connection dies outside any query (PostgreSQL's idle pool clients); SQLite has none. */
  onConnectionLost(listener: (error: Error) => void): void;
  /**
   * Runs `insert` (one append, or several) in one transaction so that ids become visible in increasing order. A
   * reader that follows the log with "after id N" must never see N+1 before N has committed, or it would skip N
   * forever. `insert` gets the transaction, and must use it.
   */
  appendInOrder<T>(
    db: Kysely<Database>,
    log: 'events' | 'audit_log',
    insert: (db: Kysely<Database>) => Promise<T>,
  ): Promise<T>;
  /**
   * Runs `migrate` so that only one store at a time migrates a database: a second one, in this process or another,
   * waits and then finds nothing left to do. `migrate` throws to undo what it did (where DDL is transactional).
   */
  /**
   * Runs `read` in a transaction that sees one snapshot of the database for all its statements, so that a page
   * and its total, read one after the other, agree.
   */
  readSnapshot<T>(db: Kysely<Database>, read: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /** The aggregate of `element` over a (sub)query's rows as JSON text of an array, in `orderBy` order; `[]` for none. */
  jsonArrayAgg(element: Expression<unknown>, orderBy: Expression<unknown>): RawBuilder<string>;
  /** A JSON array of the values, as an element for jsonArrayAgg. */
  jsonArray(values: readonly Expression<unknown>[]): RawBuilder<unknown>;
  /**
   * Runs `write` in a transaction that takes the write lock before its first read. SQLite: BEGIN IMMEDIATE, as a
   * deferred transaction that read first cannot take the lock once another connection (the writer thread, another
   * process) committed since, and fails at once with SQLITE_BUSY instead of waiting. PostgreSQL: a transaction.
   */
  writeTransaction<T>(db: Kysely<Database>, write: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  migrateExclusively<T>(db: Kysely<Database>, migrate: (db: Kysely<Database>) => Promise<T>): Promise<T>;
}

/** The `code` property drivers put on their errors (better-sqlite3: `SQLITE_…`; pg: the SQLSTATE). */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
