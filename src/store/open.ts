// openStore: the one entry point main.ts and the CLI use to get a Store.
import { createLogger, type Logger, type LogLevel } from '../observability/logger.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';
import { SqliteWriter } from './sqlite-writer.js';
import { KyselyStore } from './store.js';
import type { Store } from './types.js';
import { parseStoreUrl, type StoreLocation } from './url.js';

export interface OpenStoreOptions {
  /** Base of the default SQLite file and of relative `sqlite:PATH`s. */
  readonly dataDir: string;
  readonly logger?: Logger;
  /** Wall clock for createdAt/updatedAt and default event times; default Date.now. */
  readonly now?: () => number;
  /** SQLite: how long a write waits for another process's lock (catalogue F07). Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * SQLite (a file): run the DHCP server's hot-path writes (lease commits, event appends, contacts) on a writer
   * thread with its own connection, so their fsyncs do not hold the calling thread (sqlite-writer.ts). Default
   * false; `fleetboot serve` turns it on.
   */
  readonly writerThread?: boolean;
  /** PostgreSQL: the schema to keep the tables in (search_path). Default: the server's default (`public`). */
  readonly postgresSchema?: string;
  /** PostgreSQL: connections in the pool. Default 10. */
  readonly poolSize?: number;
  /** PostgreSQL: how long to wait for a connection. Default 10000 ms. */
  readonly connectTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const DEFAULT_POOL_SIZE = 10;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens the store at `url` (see parseStoreUrl) or at a location the config loader resolved with the same parser
 * (src/values/store-location.ts), which is trusted as it is. The schema is not touched: call `migrate()` next.
 * @throws StoreUrlError, StoreUnavailableError
 */
export async function openStore(url: string | StoreLocation, options: OpenStoreOptions): Promise<Store> {
  const location = typeof url === 'string' ? parseStoreUrl(url, options.dataDir) : url;
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const now = options.now ?? Date.now;
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const { db, adapter, migrationSchema, sqlite } =
    location.dialect === 'sqlite'
      ? openSqlite({ file: location.file, busyTimeoutMs, logger })
      : {
          ...(await openPostgres({
            url: location.url,
            schema: options.postgresSchema,
            poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
            connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
            logger,
          })),
          sqlite: undefined,
        };
  // Another connection cannot see a `:memory:` database: it has no writer thread.
  const writer =
    options.writerThread === true && location.dialect === 'sqlite' && location.file !== ':memory:'
      ? new SqliteWriter({ file: location.file, busyTimeoutMs, logLevel: logger.level as LogLevel, now })
      : undefined;
  return new KyselyStore({ db, adapter, logger, now, migrationSchema, sqlite, writer });
}
