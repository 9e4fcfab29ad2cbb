// A migration that has run must create the same schema forever (reliability-catalogue P2: a new server opens an
// old database; an old database and a new one must not differ). Here the domain gains a value in every list the
// migrations constrain (0001, 0004), and the SQL of those migrations must not change.
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import type { Migration } from 'kysely';
import type * as Audit from '../../src/inventory/audit.js';
import type * as Capture from '../../src/inventory/capture.js';
import type * as Event from '../../src/inventory/event.js';
import type * as Lease from '../../src/inventory/lease.js';
import type * as Machine from '../../src/inventory/machine.js';
import { initialSchema } from '../../src/store/migrations/0001-initial.js';
import { capturedPacketsSchema } from '../../src/store/migrations/0004-captured-packets.js';
import type { StoreDialect } from '../../src/store/types.js';

const ADDED = ['retired', 'reserved', 'snmp', 'partial', 'ntp', 'both'];

vi.mock('../../src/inventory/machine.js', async (importOriginal) => {
  const real = await importOriginal<typeof Machine>();
  return {
    ...real,
    MACHINE_STATES: [...real.MACHINE_STATES, 'retired'],
    MARKED_STATES: [...real.MARKED_STATES, 'retired'],
  };
});
vi.mock('../../src/inventory/lease.js', async (importOriginal) => {
  const real = await importOriginal<typeof Lease>();
  return {
    ...real,
    LEASE_STATES: [...real.LEASE_STATES, 'reserved'],
    ACTIVE_LEASE_STATES: [...real.ACTIVE_LEASE_STATES, 'reserved'],
  };
});
vi.mock('../../src/inventory/event.js', async (importOriginal) => {
  const real = await importOriginal<typeof Event>();
  return { ...real, EVENT_SOURCES: [...real.EVENT_SOURCES, 'snmp'] };
});
vi.mock('../../src/inventory/audit.js', async (importOriginal) => {
  const real = await importOriginal<typeof Audit>();
  return { ...real, AUDIT_OUTCOMES: [...real.AUDIT_OUTCOMES, 'partial'] };
});
vi.mock('../../src/inventory/capture.js', async (importOriginal) => {
  const real = await importOriginal<typeof Capture>();
  return {
    ...real,
    CAPTURE_PROTOCOLS: [...real.CAPTURE_PROTOCOLS, 'ntp'],
    CAPTURE_DIRECTIONS: [...real.CAPTURE_DIRECTIONS, 'both'],
  };
});

/** The SQL a migration sends, compiled for `dialect` without a database. */
async function statementsOf(
  dialect: StoreDialect,
  migration: (dialect: StoreDialect) => Migration,
): Promise<string[]> {
  const statements: string[] = [];
  const parts =
    dialect === 'sqlite'
      ? {
          adapter: new SqliteAdapter(),
          compiler: new SqliteQueryCompiler(),
          introspector: SqliteIntrospector,
        }
      : {
          adapter: new PostgresAdapter(),
          compiler: new PostgresQueryCompiler(),
          introspector: PostgresIntrospector,
        };
  const db = new Kysely<unknown>({
    dialect: {
      createAdapter: () => parts.adapter,
      createDriver: () => new DummyDriver(),
      createIntrospector: (kysely) => new parts.introspector(kysely),
      createQueryCompiler: () => parts.compiler,
    },
    log: (event) => {
      statements.push(event.query.sql);
    },
  });
  await migration(dialect).up(db);
  await db.destroy();
  return statements;
}

describe('migration 0001', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`creates the same ${dialect} schema whatever values the domain gains later`, async () => {
      const statements = await statementsOf(dialect, initialSchema);
      expect(statements.length).toBeGreaterThan(10);
      const text = statements.join('\n');
      // Sanity: the frozen lists are there…
      for (const value of ['discovered', 'installing', 'offered', 'declined', 'lifecycle', 'denied']) {
        expect(text).toContain(`'${value}'`);
      }
      // …and nothing the domain added since.
      for (const value of ADDED) expect(text).not.toContain(`'${value}'`);
    });
  }
});

describe('migration 0004', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`creates the same ${dialect} table whatever protocols or directions the domain gains later`, async () => {
      const text = (await statementsOf(dialect, capturedPacketsSchema)).join('\n');
      for (const value of ['dhcp', 'tftp', 'in', 'out']) expect(text).toContain(`'${value}'`);
      for (const value of ADDED) expect(text).not.toContain(`'${value}'`);
      expect(text).toContain(dialect === 'postgres' ? 'bytea' : 'blob');
    });
  }
});
