// The domain's value lists against what the database allows after the latest migration. Migrations spell their
// values out (frozen history), so when the domain gains a state this fails until a new migration widens the
// constraint; without it, the first row in the new state would be refused by the database.
import { describe, expect, it } from 'vitest';
import { API_ROLES } from '../../../src/inventory/api-token.js';
import { AUDIT_OUTCOMES } from '../../../src/inventory/audit.js';
import { CAPTURE_DIRECTIONS, CAPTURE_PROTOCOLS } from '../../../src/inventory/capture.js';
import { EVENT_SOURCES } from '../../../src/inventory/event.js';
import { ACTIVE_LEASE_STATES, LEASE_STATES } from '../../../src/inventory/lease.js';
import { MACHINE_STATES, MARKED_STATES } from '../../../src/inventory/machine.js';
import type { StoreHarness, StoreTarget } from '../harness.js';
import { fresh } from './setup.js';

type Kind = 'check' | 'index';

/** The text of a CHECK constraint or a (partial) index, as the database reports it. */
async function definition(target: StoreTarget, kind: Kind, table: string, name: string): Promise<string> {
  if (target.dialect === 'postgres') {
    const rows = await target.query(
      kind === 'check'
        ? `select pg_get_constraintdef(oid) as def from pg_constraint
           where conname = $1 and conrelid = to_regclass($2)`
        : `select pg_get_indexdef(indexrelid) as def from pg_index
           where indexrelid = to_regclass($1) and indrelid = to_regclass($2)`,
      [name, table],
    );
    return text(rows[0]?.def);
  }
  // SQLite keeps the CREATE statement: a table's carries all its constraints, one after another.
  const rows = await target.query('select sql from sqlite_master where name = ?', [
    kind === 'check' ? table : name,
  ]);
  const sql = text(rows[0]?.sql);
  if (kind === 'index') return sql;
  const clause = sql.split(/\bconstraint\s+/i).find((part) => part.startsWith(`"${name}"`));
  return clause ?? '';
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The distinct string literals of a definition, sorted. */
function literals(text: string): string[] {
  const values = [...text.matchAll(/'((?:[^']|'')*)'/g)].map((m) => (m[1] ?? '').replaceAll("''", "'"));
  return [...new Set(values)].sort();
}

const sorted = (values: readonly string[]) => [...new Set(values)].sort();

const CASES: readonly [Kind, string, string, readonly string[]][] = [
  ['check', 'machines', 'machines_state_valid', MACHINE_STATES],
  ['check', 'machines', 'machines_mark_matches_state', MARKED_STATES],
  ['check', 'leases', 'leases_state_valid', LEASE_STATES],
  ['index', 'leases', 'leases_active_client', ACTIVE_LEASE_STATES],
  ['index', 'leases', 'leases_expiry', [...ACTIVE_LEASE_STATES, 'declined']],
  ['check', 'events', 'events_source_valid', EVENT_SOURCES],
  ['check', 'audit_log', 'audit_log_outcome_valid', AUDIT_OUTCOMES],
  ['check', 'api_tokens', 'api_tokens_role_valid', API_ROLES],
  ['check', 'captured_packets', 'captured_packets_protocol_valid', CAPTURE_PROTOCOLS],
  ['check', 'captured_packets', 'captured_packets_direction_valid', CAPTURE_DIRECTIONS],
];

export function schemaConformance(harness: StoreHarness): void {
  describe('schema', () => {
    it('allows exactly the values the domain defines, after the latest migration', async () => {
      const { target } = await fresh(harness);
      for (const [kind, table, name, domain] of CASES) {
        const text = await definition(target, kind, table, name);
        expect(text, `${name} exists`).not.toBe('');
        expect(literals(text), name).toEqual(sorted(domain));
      }
    });
  });
}
