// The embedded store: better-sqlite3 12 (13 needs a newer Node than 20) behind Kysely.
import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { Logger } from '../observability/logger.js';
import { type SqlAdapter, errorCode } from './adapter.js';
import { StoreConfigError, StoreError, StoreUnavailableError } from './errors.js';
import type { Database } from './schema.js';
import { withStatementCache } from './statement-cache.js';

export interface SqliteOptions {
  /** A path, or `:memory:` for a database that lives as long as the store (tests). */
  readonly file: string;
  /** How long a write waits for another process's lock before failing (catalogue F07). */
  readonly busyTimeoutMs: number;
  readonly logger: Logger;
}

// Catalogue S14: the database holds install-token hashes and the fleet's inventory; only the service reads it.
const DIRECTORY_MODE = 0o750;
const FILE_MODE = 0o600;

export function openSqlite(options: SqliteOptions): {
  db: Kysely<Database>;
  adapter: SqlAdapter;
  migrationSchema: undefined;
  /** The connection under `db`, for statements prepared by hand (QueryContext.sqlite). */
  sqlite: SqliteDatabase.Database;
} {
  const { file, busyTimeoutMs, logger } = options;
  const memory = file === ':memory:';
  let sqlite: SqliteDatabase.Database | undefined;
  try {
    if (!memory) preparePrivateFile(file, logger);
    sqlite = new SqliteDatabase(file, { timeout: busyTimeoutMs });
    configure(sqlite, memory, busyTimeoutMs);
    if (!memory) {
      // SQLite gives -wal and -shm the mode of the database file; this covers files left by an older version.
      for (const suffix of ['-wal', '-shm'])
        if (existsSync(file + suffix)) chmodSync(file + suffix, FILE_MODE);
    }
  } catch (error) {
    sqlite?.close();
    // A directory that cannot be created, a file that cannot be opened or read (catalogue F06): say which.
    throw error instanceof StoreError ? error : new StoreUnavailableError(file, error);
  }
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) }),
    adapter: sqliteAdapter(file),
    migrationSchema: undefined, // SQLite has no schemas
    sqlite,
  };
}

function configure(sqlite: SqliteDatabase.Database, memory: boolean, busyTimeoutMs: number): void {
  const mode: unknown = sqlite.pragma('journal_mode = WAL', { simple: true });
  // WAL fails on some network file systems; rollback-journal mode would silently change the locking model.
  if (!memory && mode !== 'wal') {
    throw new StoreConfigError(
      `SQLite could not switch ${sqlite.name} to WAL mode (journal_mode=${String(mode)}): keep the database on a local file system`,
    );
  }
  // Catalogue F15: with WAL, NORMAL "might roll back following a power loss"; FULL syncs the WAL on every commit,
  // so a lease or mark that was acknowledged is on disk.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  // Off by default in SQLite, per connection: without it ON DELETE CASCADE does nothing.
  sqlite.pragma('foreign_keys = ON');
}

/**
 * Creates the directory (0750) and an empty database file (0600) before SQLite opens it, so the file never
 * exists with the process umask's mode, even for an instant. An existing file is left as the operator set it,
 * with a warning when others can read it.
 */
function preparePrivateFile(file: string, logger: Logger): void {
  const dir = path.dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: DIRECTORY_MODE });
    chmodSync(dir, DIRECTORY_MODE); // the umask may have removed bits; set exactly what S14 asks
  }
  let fd: number;
  try {
    fd = openSync(file, 'wx', FILE_MODE);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o007) !== 0) {
      logger.warn(
        { file, mode: mode.toString(8) },
        'the database file is accessible to other users; chmod 600 it',
      );
    }
    return;
  }
  try {
    fchmodSync(fd, FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

// https://sqlite.org/rescode.html: the file cannot be used at all (catalogue F04 disk full, a read-only or
// vanished file), or another connection held the lock past busy_timeout (F07).
const UNAVAILABLE = new Set([
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_NOMEM',
  'SQLITE_PERM',
]);
const BUSY = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);

// better-sqlite3 reports `UNIQUE constraint failed: leases.subnet, leases.client_id` and
// `CHECK constraint failed: machines_mark_matches_state`, with SQLite's extended result code in `code`.
const UNIQUE = /^UNIQUE constraint failed: (.+)$/;
const CHECK = /^CHECK constraint failed: (.+)$/;

export function sqliteAdapter(file: string): SqlAdapter {
  return {
    dialect: 'sqlite',
    target: file,
    uniqueViolation(error) {
      const code = errorCode(error);
      if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return undefined;
      const columns = UNIQUE.exec((error as Error).message)?.[1];
      return columns?.split(', ').map((column) => column.slice(column.indexOf('.') + 1)) ?? [];
    },
    checkViolation(error) {
      if (errorCode(error) !== 'SQLITE_CONSTRAINT_CHECK') return undefined;
      return CHECK.exec((error as Error).message)?.[1] ?? '';
    },
    failure(error) {
      // Extended result codes (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT…) start with their primary code.
      const primary = /^SQLITE_[A-Z]+/.exec(errorCode(error) ?? '')?.[0];
      if (primary === undefined) return undefined;
      if (BUSY.has(primary)) return 'busy';
      return UNAVAILABLE.has(primary) ? 'unavailable' : undefined;
    },
    // One file, no connections to lose: failures show up as query errors.
    onConnectionLost: () => undefined,
    // One connection, and Kysely runs its queries one at a time: ids are assigned and committed in order. The
    // transaction makes several appends one commit (appendMany); for one append it costs nothing more, since a
    // statement outside a transaction is its own transaction anyway.
    appendInOrder: (db, _log, insert) => db.transaction().execute(insert),
    // A deferred transaction on the one connection: in WAL mode its first read fixes the snapshot for the rest.
    readSnapshot: (db, read) => db.transaction().execute(read),
    jsonArrayAgg: (element, orderBy) => sql<string>`json_group_array(${element} order by ${orderBy})`,
    jsonArray: (values) => sql`json_array(${sql.join(values)})`,
    writeTransaction: (db, write) => inWriteTransaction(db, write),
    migrateExclusively: (db, migrate) =>
      file === ':memory:'
        ? inWriteTransaction(db, migrate)
        : queued(file, () => inWriteTransaction(db, migrate)),
  };
}

/**
 * Kysely's migrator takes no lock on SQLite (it assumes one connection), so two servers starting at once would both
 * create the tables and one would fail. BEGIN IMMEDIATE takes the write lock before the migrator reads what ran:
 * the second server waits (busy_timeout) and then finds it all done. It also makes a migration all-or-nothing,
 * since SQLite's DDL is transactional (catalogue F01b: a kill mid-migration leaves the previous schema).
 */
async function inWriteTransaction<T>(
  db: Kysely<Database>,
  migrate: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const result = await migrate(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      // A failed COMMIT (SQLITE_BUSY, a full disk) leaves the transaction open; every later write on this
      // connection would then land inside it and never be committed (queries/context.ts immediateTransaction).
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });
}

// better-sqlite3 waits for a lock by blocking the thread, so a second store of this process waiting for the first
// one's lock would stop the very thread the first needs to finish, until busy_timeout fails it. Within a process,
// migrations of one file therefore queue here; between processes, SQLite's lock orders them.
const migrating = new Map<string, Promise<unknown>>();

async function queued<T>(file: string, run: () => Promise<T>): Promise<T> {
  const mine = (migrating.get(file) ?? Promise.resolve()).catch(() => undefined).then(run);
  migrating.set(file, mine);
  try {
    return await mine;
  } finally {
    if (migrating.get(file) === mine) migrating.delete(file);
  }
}
