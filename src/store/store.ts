// A Store from a Kysely instance of either dialect: the query modules are shared, the adapter holds what differs.
import { randomUUID } from 'node:crypto';
import { type Kysely, Migrator } from 'kysely';
import type { Logger } from '../observability/logger.js';
import type { SqlAdapter } from './adapter.js';
import { MigrationError } from './errors.js';
import { migrationProvider } from './migrations/index.js';
import type { QueryContext } from './queries/context.js';
import { KyselyLeaseStore } from './queries/leases.js';
import { KyselyAuditLog, KyselyEventLog } from './queries/logs.js';
import { KyselyInventoryStore } from './queries/machines.js';
import type { Database } from './schema.js';
import type { AuditLog, EventLog, InventoryStore, LeaseStore, Store, StoreDialect } from './types.js';

export class KyselyStore implements Store {
  readonly dialect: StoreDialect;
  readonly inventory: InventoryStore;
  readonly leases: LeaseStore;
  readonly events: EventLog;
  readonly audit: AuditLog;
  private readonly db: Kysely<Database>;
  private readonly adapter: SqlAdapter;
  private readonly logger: Logger;
  private readonly migrationSchema: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: {
    readonly db: Kysely<Database>;
    readonly adapter: SqlAdapter;
    readonly logger: Logger;
    readonly now: () => number;
    /** PostgreSQL: the schema the tables live in, for the Migrator's bookkeeping tables. */
    readonly migrationSchema: string | undefined;
  }) {
    const { db, adapter, logger, now } = options;
    this.db = db;
    this.adapter = adapter;
    this.logger = logger;
    this.migrationSchema = options.migrationSchema;
    const ctx: QueryContext = { db, adapter, now, newId: randomUUID, logger };
    this.dialect = adapter.dialect;
    this.inventory = new KyselyInventoryStore(ctx);
    this.leases = new KyselyLeaseStore(ctx);
    this.events = new KyselyEventLog(ctx);
    this.audit = new KyselyAuditLog(ctx);
  }

  async migrate(): Promise<readonly string[]> {
    const applied = await this.adapter.migrateExclusively(this.db, async (db) => {
      const migrator = new Migrator({
        db,
        provider: migrationProvider(this.dialect),
        ...(this.migrationSchema === undefined ? {} : { migrationTableSchema: this.migrationSchema }),
      });
      const { error, results = [] } = await migrator.migrateToLatest();
      if (error !== undefined) {
        throw new MigrationError(results.find((r) => r.status === 'Error')?.migrationName, error);
      }
      return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
    });
    // Logged once committed: on SQLite a failed run is rolled back whole.
    for (const name of applied) this.logger.info({ migration: name }, 'applied database migration');
    return applied;
  }

  close(): Promise<void> {
    // Idempotent: shutdown paths may close twice (signal and error at once).
    this.closing ??= this.drainAndDestroy();
    return this.closing;
  }

  private async drainAndDestroy(): Promise<void> {
    // SQLite has one connection: waiting for it lets a running transaction finish instead of being cut off.
    // PostgreSQL's pool.end() (inside destroy) waits for checked-out clients by itself.
    if (this.dialect === 'sqlite') await this.db.connection().execute(() => Promise.resolve());
    await this.db.destroy();
  }
}
