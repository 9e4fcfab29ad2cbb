import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Logger } from '../../observability/logger.js';
import type { SqlAdapter } from '../adapter.js';
import type { Database } from '../schema.js';

/** What every query module is built from; assembled once by the store. */
export interface QueryContext {
  readonly db: Kysely<Database>;
  readonly adapter: SqlAdapter;
  /** Wall-clock time for createdAt/updatedAt and default event times (design.md §1.7: time is a parameter). */
  readonly now: () => number;
  /** New machine ids. */
  readonly newId: () => string;
  readonly logger: Logger;
  /**
   * SQLite only: the better-sqlite3 connection under Kysely, for the statements prepared by hand on the DHCP
   * server's hot path. `exclusive` runs `work` while Kysely holds the connection, so it never lands inside a
   * transaction Kysely has open.
   */
  readonly sqlite?: SqliteAccess;
}

export interface SqliteAccess {
  readonly database: SqliteDatabase.Database;
  exclusive<T>(work: () => T): Promise<T>;
}

/**
 * Runs `work` between BEGIN IMMEDIATE and COMMIT on the connection. better-sqlite3's `.immediate()` on a connection
 * already inside a transaction quietly becomes a SAVEPOINT, and then nothing is committed when it returns: the
 * caller would report rows saved that a crash loses. A transaction left open is a bug elsewhere (a COMMIT that
 * failed); refusing loudly here keeps it from turning into silent loss (catalogue: no acknowledged write lost).
 */
export function immediateTransaction<T>(database: SqliteDatabase.Database, work: () => T): T {
  if (database.inTransaction) {
    throw new Error(
      'the SQLite connection is inside a transaction left open; nothing written would be committed',
    );
  }
  return database.transaction(work).immediate();
}
