// Captured boot signalling (issue 6 item 5): the DHCP and TFTP control datagrams of each machine, so its boot can
// be downloaded as a pcap file after the fact. Rows belong to a machine and go with it (forget cascades); the
// store keeps each machine's newest packets within a bound (CaptureStore.append).
import { type ColumnDataType, type Kysely, type Migration, type RawBuilder, sql } from 'kysely';
import type { StoreDialect } from '../types.js';

// Frozen history, as in 0001: the values this migration allows, spelled out rather than imported from
// src/inventory/capture.ts. A new protocol or direction needs a new migration (the schema conformance test fails
// until one widens the constraint).
const PROTOCOLS = ['dhcp', 'tftp'];
const DIRECTIONS = ['in', 'out'];
/** The largest UDP payload over IPv4: 65535 − 20 − 8. */
const MAX_UDP_PAYLOAD = 65_507;

function inList(column: string, values: readonly string[]): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}

function portCheck(column: string): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column)} >= 0 and ${sql.ref(column)} <= 65535`;
}

export function capturedPacketsSchema(dialect: StoreDialect): Migration {
  const bytes: ColumnDataType = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const table = db.schema.createTable('captured_packets');
      // An id that only grows: the order packets were appended in, and what the bound drops first.
      const withId =
        dialect === 'postgres'
          ? table.addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
          : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
      await withId
        .addColumn('machine_id', 'text', (c) => c.notNull().references('machines.id').onDelete('cascade'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('mac', 'text', (c) => c.notNull())
        .addColumn('protocol', 'text', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('source_address', 'text', (c) => c.notNull())
        .addColumn('source_port', 'integer', (c) => c.notNull().check(portCheck('source_port')))
        .addColumn('destination_address', 'text', (c) => c.notNull())
        .addColumn('destination_port', 'integer', (c) => c.notNull().check(portCheck('destination_port')))
        .addColumn('payload', bytes, (c) => c.notNull())
        .addColumn('payload_length', 'integer', (c) => c.notNull())
        .addCheckConstraint('captured_packets_protocol_valid', inList('protocol', PROTOCOLS))
        .addCheckConstraint('captured_packets_direction_valid', inList('direction', DIRECTIONS))
        // length() of a blob (SQLite) or a bytea (PostgreSQL) is its octets.
        .addCheckConstraint(
          'captured_packets_length_valid',
          sql`payload_length >= length(payload) and payload_length <= ${sql.lit(MAX_UDP_PAYLOAD)}`,
        )
        .execute();
      await db.schema
        .createIndex('captured_packets_machine')
        .on('captured_packets')
        .columns(['machine_id', 'id'])
        .execute();
    },
  };
}
