// A Store from a Kysely instance of either dialect: the query modules are shared, the adapter holds what differs.
import type SqliteDatabase from 'better-sqlite3';
import { type Kysely, type KyselyPlugin, Migrator, sql } from 'kysely';
import type { Logger } from '../observability/logger.js';
import { timeOrderedIds } from '../values/time-ordered-id.js';
import type { SqlAdapter } from './adapter.js';
import {
  MigrationError,
  StoreBusyError,
  StoreError,
  StoreQueryError,
  StoreUnavailableError,
} from './errors.js';
import { guarded } from './guard.js';
import { HealthMonitor, type StoreHealth } from './health.js';
import { migrationProvider } from './migrations/index.js';
import type { SqliteWriter, WriterMethod, WriterMethods } from './sqlite-writer.js';
import type { QueryContext } from './queries/context.js';
import { KyselyCaptureStore } from './queries/captures.js';
import { KyselyLeaseStore } from './queries/leases.js';
import { KyselyAuditLog, KyselyEventLog } from './queries/logs.js';
import { KyselyInventoryStore } from './queries/machines.js';
import { KyselyTokenStore } from './queries/tokens.js';
import type { Database } from './schema.js';
import type {
  AuditLog,
  CaptureStore,
  EventLog,
  InventoryStore,
  LeaseStore,
  Store,
  StoreDialect,
  TokenStore,
} from './types.js';

export class KyselyStore implements Store {
  readonly dialect: StoreDialect;
  readonly inventory: InventoryStore;
  readonly leases: LeaseStore;
  readonly events: EventLog;
  readonly audit: AuditLog;
  readonly tokens: TokenStore;
  readonly captures: CaptureStore;
  private readonly db: Kysely<Database>;
  private readonly adapter: SqlAdapter;
  private readonly logger: Logger;
  private readonly migrationSchema: string | undefined;
  private readonly monitor: HealthMonitor;
  private closing: Promise<void> | undefined;
  private readonly writer: SqliteWriter | undefined;
  private readonly appendListeners = new Set<() => void>();

  constructor(options: {
    readonly db: Kysely<Database>;
    readonly adapter: SqlAdapter;
    readonly logger: Logger;
    readonly now: () => number;
    /** PostgreSQL: the schema the tables live in, for the Migrator's bookkeeping tables. */
    readonly migrationSchema: string | undefined;
    /** SQLite: the connection under `db` (QueryContext.sqlite). */
    readonly sqlite?: SqliteDatabase.Database | undefined;
    /** SQLite: the writer thread the hot path's writes go to (sqlite-writer.ts); none runs them here. */
    readonly writer?: SqliteWriter | undefined;
  }) {
    const { adapter, logger, now } = options;
    this.monitor = new HealthMonitor(logger);
    // Every query that succeeds proves the database is there; failures are judged in translate().
    const db = options.db.withPlugin(reportsSuccess(this.monitor));
    adapter.onConnectionLost((error) => {
      this.monitor.down(error);
    });
    this.db = db;
    this.adapter = adapter;
    this.logger = logger;
    this.migrationSchema = options.migrationSchema;
    const sqlite = options.sqlite;
    const ctx: QueryContext = {
      db,
      adapter,
      now,
      newId: timeOrderedIds(now),
      logger,
      ...(sqlite === undefined
        ? {}
        : {
            sqlite: {
              database: sqlite,
              // Kysely's SQLite driver has one connection behind a lock; holding it keeps Kysely's queries (and
              // transactions) out while `work` runs. Success proves the database is there, as for Kysely's queries.
              exclusive: async <T>(work: () => T): Promise<T> => {
                const result = await db.connection().execute(() => Promise.resolve(work()));
                this.monitor.up();
                return result;
              },
            },
          }),
    };
    const translate = (error: unknown) => this.translate(error);
    this.dialect = adapter.dialect;
    const inventory = guarded(new KyselyInventoryStore(ctx), translate);
    const leases = guarded(new KyselyLeaseStore(ctx), translate);
    const events = guarded(new KyselyEventLog(ctx), translate);
    this.audit = guarded(new KyselyAuditLog(ctx), translate);
    this.tokens = guarded(new KyselyTokenStore(ctx), translate);
    const captures = guarded(new KyselyCaptureStore(ctx), translate);
    const { writer } = options;
    this.writer = writer;
    if (writer === undefined) {
      this.inventory = inventory;
      this.leases = leases;
      this.events = this.announcing(events);
      this.captures = captures;
      return;
    }
    // The writer thread's calls report to this store's health like its own queries do.
    const call = <M extends WriterMethod>(method: M) =>
      (async (...args: Parameters<WriterMethods[M]>) => {
        try {
          const result = await writer.call(method, ...args);
          this.monitor.up();
          return result;
        } catch (error) {
          if (error instanceof StoreUnavailableError) this.monitor.down(error);
          throw error;
        }
      }) as WriterMethods[M];
    this.leases = {
      ...methodsOf<LeaseStore>(leases),
      commit: call('commitLease'),
      commitMany: call('commitLeases'),
    };
    this.events = this.announcing({
      ...methodsOf<EventLog>(events),
      append: call('appendEvent'),
      appendMany: call('appendEvents'),
    });
    this.inventory = {
      ...methodsOf<InventoryStore>(inventory),
      recordContact: call('recordContact'),
      recordContacts: call('recordContacts'),
    };
    // Captured packets are written in batches behind the DHCP and TFTP traffic they record: off the main thread too.
    this.captures = { ...methodsOf<CaptureStore>(captures), append: call('appendCaptures') };
  }

  health(): StoreHealth {
    return this.monitor.state;
  }

  onHealthChange(listener: (health: StoreHealth) => void): () => void {
    return this.monitor.subscribe(listener);
  }

  onEventsAppended(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** The log, telling the append listeners once an append has resolved (its events are visible then). */
  private announcing(log: EventLog): EventLog {
    const announce = (): void => {
      for (const listener of [...this.appendListeners]) {
        try {
          listener();
        } catch (error) {
          // A follower's fault must not turn a committed append into a failure for the one who appended.
          this.logger.error({ err: error }, 'an event-append listener failed');
        }
      }
    };
    return {
      append: async (event) => {
        const id = await log.append(event);
        announce();
        return id;
      },
      appendMany: async (events) => {
        const ids = await log.appendMany(events);
        if (ids.length > 0) announce();
        return ids;
      },
      list: (query) => log.list(query),
    };
  }

  async ping(): Promise<void> {
    try {
      await sql`select 1`.execute(this.db);
    } catch (error) {
      throw this.translate(error);
    }
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
    // The writer thread prepares its statements on the migrated schema; started now, not by the first commit.
    await this.writer?.ready();
    return applied;
  }

  /** A driver error as the StoreError it means; one that says the database is gone takes the health down. */
  private translate(error: unknown): StoreError {
    if (error instanceof StoreError) return error;
    switch (this.adapter.failure(error)) {
      case 'unavailable': {
        const unavailable = new StoreUnavailableError(this.adapter.target, error);
        this.monitor.down(unavailable);
        return unavailable;
      }
      case 'busy':
        return new StoreBusyError(this.adapter.target, error);
      case undefined:
        return new StoreQueryError(error);
    }
  }

  close(): Promise<void> {
    // Idempotent: shutdown paths may close twice (signal and error at once).
    this.closing ??= this.drainAndDestroy();
    return this.closing;
  }

  private async drainAndDestroy(): Promise<void> {
    // The writer first: it answers what it was given, then closes its connection.
    await this.writer?.close();
    // SQLite has one connection: waiting for it lets a running transaction finish instead of being cut off.
    // PostgreSQL's pool.end() (inside destroy) waits for checked-out clients by itself.
    if (this.dialect === 'sqlite') await this.db.connection().execute(() => Promise.resolve());
    await this.db.destroy();
  }
}

/** A plugin that leaves queries alone and marks the store up whenever one returns. */
function reportsSuccess(monitor: HealthMonitor): KyselyPlugin {
  return {
    transformQuery: (args) => args.node,
    transformResult: (args) => {
      monitor.up();
      return Promise.resolve(args.result);
    },
  };
}

/**
 * The methods of a guarded store part as an object of bound functions, to override some: `guarded` is a Proxy over
 * a class instance, whose methods spreading would not copy.
 */
function methodsOf<T extends object>(part: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(Object.getPrototypeOf(part))) {
    if (key === 'constructor') continue;
    const value: unknown = Reflect.get(part, key);
    if (typeof value === 'function') out[key] = value;
  }
  return out as T;
}
