// The machine list: filter, sort, keyset paging. Keyset rather than OFFSET so that a page deep into thousands of
// machines costs the same as the first, and paging stays stable while machines are enrolled.
import { type ExpressionBuilder, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { MACHINE_STATES } from '../../inventory/machine.js';
import { isOneOf } from '../../values/guards.js';
import { InvalidCursorError, InvalidInputError } from '../errors.js';
import type { Database } from '../schema.js';
import {
  DEFAULT_PAGE_SIZE,
  MACHINE_SORT_KEYS,
  MAX_PAGE_SIZE,
  type MachineFilter,
  type MachineSort,
  type MachineSortKey,
} from '../types.js';
import type { MachineRow } from './machine-codec.js';
import { checkInteger, checkText } from './validate.js';

type MachinesQuery<O> = SelectQueryBuilder<Database, 'machines', O>;
type Eb = ExpressionBuilder<Database, 'machines'>;

export const DEFAULT_SORT: MachineSort = { by: 'createdAt', direction: 'asc' };
const DIRECTIONS: readonly MachineSort['direction'][] = ['asc', 'desc'];

// Lifecycle order (design.md §3) rather than alphabetical: "discovered" first, "failed" last.
const STATE_RANK = sql<number>`case machines.state ${sql.join(
  MACHINE_STATES.map((state, rank) => sql`when ${sql.lit(state)} then ${sql.lit(rank)}`),
  sql` `,
)} end`;

/** The sort expression of a key and the value it takes for a row (what a cursor records). */
const SORT_KEYS: Record<
  MachineSortKey,
  { expr: RawBuilder<number | string>; valueOf: (row: MachineRow) => number | string }
> = {
  createdAt: { expr: sql<number>`machines.created_at`, valueOf: (row) => row.created_at },
  updatedAt: { expr: sql<number>`machines.updated_at`, valueOf: (row) => row.updated_at },
  // Machines without a hostname sort as the empty string: keyset comparisons need a total order without NULLs.
  hostname: { expr: sql<string>`coalesce(machines.hostname, '')`, valueOf: (row) => row.hostname ?? '' },
  state: { expr: STATE_RANK, valueOf: (row) => MACHINE_STATES.indexOf(row.state as never) },
};

export function applyFilter<O>(query: MachinesQuery<O>, filter: MachineFilter | undefined): MachinesQuery<O> {
  let q = query;
  if (filter?.states !== undefined) {
    const states = filter.states;
    q = states.length === 0 ? q.where(sql<boolean>`1 = 0`) : q.where('machines.state', 'in', states);
  }
  for (const [key, value] of Object.entries(filter?.labels ?? {})) {
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('machine_labels')
          .select(sql.lit(1).as('one'))
          .whereRef('machine_labels.machine_id', '=', 'machines.id')
          .where('machine_labels.key', '=', key)
          .where('machine_labels.value', '=', value),
      ),
    );
  }
  if (filter?.text !== undefined && filter.text !== '') {
    const pattern = `%${escapeLike(checkText('filter.text', filter.text).toLowerCase())}%`;
    q = q.where((eb) => textMatch(eb, pattern));
  }
  return q;
}

function textMatch(eb: Eb, pattern: string) {
  // ESCAPE is explicit: SQLite's LIKE has no default escape character.
  const like = (column: RawBuilder<unknown>) => sql<boolean>`lower(${column}) like ${pattern} escape '\\'`;
  return eb.or([
    like(sql`machines.hostname`),
    like(sql`machines.uuid`),
    like(sql`machines.reserved_ip`),
    like(sql`machines.profile`),
    like(sql`machines.vendor_class`),
    eb.exists(
      eb
        .selectFrom('machine_interfaces')
        .select(sql.lit(1).as('one'))
        .whereRef('machine_interfaces.machine_id', '=', 'machines.id')
        .where(like(sql`machine_interfaces.mac`)),
    ),
  ]);
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function checkSort(sort: MachineSort | undefined): MachineSort {
  if (sort === undefined) return DEFAULT_SORT;
  if (!isOneOf(MACHINE_SORT_KEYS, sort.by)) {
    throw new InvalidInputError('sort.by', `must be one of ${MACHINE_SORT_KEYS.join(', ')}`);
  }
  if (!isOneOf(DIRECTIONS, sort.direction)) {
    throw new InvalidInputError('sort.direction', 'must be asc or desc');
  }
  return sort;
}

export function checkPageSize(limit: number | undefined): number {
  return limit === undefined ? DEFAULT_PAGE_SIZE : checkInteger('limit', limit, 1, MAX_PAGE_SIZE);
}

/** Orders by the sort key, then by id so that equal keys still have one order; applies the cursor. */
export function applyPage<O>(
  query: MachinesQuery<O>,
  sort: MachineSort,
  cursor: string | undefined,
): MachinesQuery<O> {
  const { expr } = SORT_KEYS[sort.by];
  let q = query.orderBy(expr, sort.direction).orderBy('machines.id', sort.direction);
  if (cursor !== undefined) {
    const { value, id } = decodeCursor(cursor, sort);
    const after = sort.direction === 'asc' ? '>' : '<';
    q = q.where((eb) =>
      eb.or([eb(expr, after, value), eb.and([eb(expr, '=', value), eb('machines.id', after, id)])]),
    );
  }
  return q;
}

export function cursorAfter(row: MachineRow, sort: MachineSort): string {
  const payload: CursorPayload = {
    by: sort.by,
    direction: sort.direction,
    value: SORT_KEYS[sort.by].valueOf(row),
    id: row.id,
  };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

interface CursorPayload {
  readonly by: MachineSortKey;
  readonly direction: 'asc' | 'desc';
  readonly value: number | string;
  readonly id: string;
}

function decodeCursor(cursor: string, sort: MachineSort): { value: number | string; id: string } {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor this server issued');
  }
  if (!isCursorPayload(payload)) throw new InvalidCursorError('not a cursor this server issued');
  if (payload.by !== sort.by || payload.direction !== sort.direction) {
    throw new InvalidCursorError(`it belongs to a list sorted by ${payload.by} ${payload.direction}`);
  }
  const numeric = sort.by !== 'hostname';
  if (numeric !== (typeof payload.value === 'number'))
    throw new InvalidCursorError('its sort value has the wrong type');
  return { value: payload.value, id: payload.id };
}

function isCursorPayload(value: unknown): value is CursorPayload {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    isOneOf(MACHINE_SORT_KEYS, v.by) &&
    isOneOf(DIRECTIONS, v.direction) &&
    (typeof v.value === 'number' || typeof v.value === 'string') &&
    typeof v.id === 'string'
  );
}
