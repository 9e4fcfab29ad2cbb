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
