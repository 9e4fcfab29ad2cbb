// The first schema. The integrity rules live here as constraints, so every writer (several servers on one
// PostgreSQL, a hand-run SQL fix) obeys them, not only code that remembers to check.
import {
  type ColumnDataType,
  type Expression,
  type Kysely,
  type Migration,
  type RawBuilder,
  sql,
} from 'kysely';
import type { StoreDialect } from '../types.js';

// Frozen history: the values this migration's constraints allow, spelled out rather than imported from
// src/inventory. Once released, a migration must create the same schema for every new database as it did for the
// first one; when the domain gains a value, a new migration widens the constraint (the schema conformance test
// fails until one does). Never edit these lists.
const MACHINE_STATES = ['discovered', 'ready', 'queued', 'installing', 'installed', 'failed'];
const MARKED_STATES = ['queued', 'installing'];
const LEASE_STATES = ['offered', 'bound', 'declined', 'released', 'expired'];
const ACTIVE_LEASE_STATES = ['offered', 'bound'];
const EVENT_SOURCES = ['dhcp', 'tftp', 'http', 'api', 'installer', 'lifecycle'];
const AUDIT_OUTCOMES = ['ok', 'denied', 'error'];

/** `column in ('a', 'b')` with literals: DDL cannot take parameters. */
function inList(column: string, values: readonly string[]): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

export function initialSchema(dialect: StoreDialect): Migration {
  // Text that is sorted or range-compared (keyset paging) uses byte order on PostgreSQL, as SQLite does, so both
  // dialects page through machines in the same order whatever the database's locale.
  const sortedText: Expression<unknown> | ColumnDataType =
    dialect === 'postgres' ? sql`text collate "C"` : 'text';

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('machines')
        .addColumn('id', sortedText, (c) => c.primaryKey())
        .addColumn('uuid', 'text')
        .addColumn('arch', 'integer', (c) => c.check(sql`arch >= 0 and arch <= 65535`))
        .addColumn('vendor_class', 'text')
        .addColumn('hostname', sortedText)
        .addColumn('reserved_ip', 'text', (c) => c.unique())
        .addColumn('profile', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('mark_by', 'text')
        .addColumn('mark_at', 'bigint')
        .addColumn('mark_expires_at', 'bigint')
        .addColumn('mark_token_hash', 'text', (c) => c.unique())
        .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addCheckConstraint('machines_state_valid', inList('state', MACHINE_STATES))
        .addCheckConstraint(
          'machines_mark_complete',
          sql`(mark_by is null and mark_at is null and mark_expires_at is null and mark_token_hash is null)
           or (mark_by is not null and mark_at is not null and mark_expires_at is not null and mark_token_hash is not null)`,
        )
        // Catalogue S07/I8: no install without a mark, and no mark left behind once the install is over.
        .addCheckConstraint(
          'machines_mark_matches_state',
          sql`(${inList('state', MARKED_STATES)} and mark_token_hash is not null)
           or (not ${inList('state', MARKED_STATES)} and mark_token_hash is null)`,
        )
        .execute();
      await db.schema.createIndex('machines_uuid').on('machines').column('uuid').execute();
      await db.schema.createIndex('machines_created').on('machines').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('machines_updated').on('machines').columns(['updated_at', 'id']).execute();
      await db.schema.createIndex('machines_state').on('machines').columns(['state', 'id']).execute();

      await db.schema
        .createTable('machine_interfaces')
        .addColumn('mac', 'text', (c) => c.primaryKey())
        .addColumn('machine_id', 'text', (c) => c.notNull().references('machines.id').onDelete('cascade'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('machine_interfaces_machine')
        .on('machine_interfaces')
        .columns(['machine_id', 'position'])
        .execute();

      await db.schema
        .createTable('machine_labels')
        .addColumn('machine_id', 'text', (c) => c.notNull().references('machines.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull().check(sql`${sql.ref('key')} <> ''`))
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('machine_labels_pk', ['machine_id', 'key'])
        .execute();
      await db.schema
        .createIndex('machine_labels_key_value')
        .on('machine_labels')
        .columns(['key', 'value'])
        .execute();

      await db.schema
        .createTable('leases')
        .addColumn('address', 'text', (c) => c.primaryKey())
        .addColumn('address_num', 'bigint', (c) => c.notNull())
        .addColumn('subnet', 'text', (c) => c.notNull())
        // CVE-2019-6474: a lease without an identity must never be written. RFC 2132 §9.14: at least 2 bytes.
        .addColumn('client_id', 'text', (c) => c.notNull().check(sql`length(client_id) >= 4`))
        .addColumn('mac', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('server_id', 'text', (c) => c.notNull())
        .addColumn('hostname', 'text')
        .addColumn('relay_agent_info', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addCheckConstraint('leases_state_valid', inList('state', LEASE_STATES))
        .execute();
      // Catalogue I3, design.md §5: one active lease per client and subnet, enforced by the database.
      await db.schema
        .createIndex('leases_active_client')
        .unique()
        .on('leases')
        .columns(['subnet', 'client_id'])
        .where(inList('state', ACTIVE_LEASE_STATES))
        .execute();
      await db.schema.createIndex('leases_client').on('leases').columns(['subnet', 'client_id']).execute();
      await db.schema
        .createIndex('leases_subnet_address')
        .on('leases')
        .columns(['subnet', 'address_num'])
        .execute();
      await db.schema
        .createIndex('leases_expiry')
        .on('leases')
        .column('expires_at')
        .where(inList('state', [...ACTIVE_LEASE_STATES, 'declined']))
        .execute();

      await logTable(db, dialect, 'events')
        .addColumn('machine_id', 'text')
        .addColumn('mac', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind <> ''`))
        .addColumn('details', 'text', (c) => c.notNull())
        .addCheckConstraint('events_subject', sql`machine_id is not null or mac is not null`)
        .addCheckConstraint('events_source_valid', inList('source', EVENT_SOURCES))
        .execute();
      await db.schema.createIndex('events_machine').on('events').columns(['machine_id', 'id']).execute();
      await db.schema.createIndex('events_mac').on('events').columns(['mac', 'id']).execute();
      await db.schema.createIndex('events_at').on('events').column('at').execute();

      await logTable(db, dialect, 'audit_log')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('remote_address', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addCheckConstraint('audit_log_outcome_valid', inList('outcome', AUDIT_OUTCOMES))
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
      await db.schema.createIndex('audit_log_target').on('audit_log').columns(['target', 'id']).execute();
      await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor', 'id']).execute();
    },
  };
}

/** An append-only log: an id that only grows (never reused, even after the newest rows are pruned) and a time. */
function logTable(db: Kysely<unknown>, dialect: StoreDialect, name: string) {
  const table = db.schema.createTable(name);
  const withId =
    dialect === 'postgres'
      ? table.addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
      : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  return withId.addColumn('at', 'bigint', (c) => c.notNull());
}
