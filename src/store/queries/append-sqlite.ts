// EventLog.appendMany and CaptureStore.append on SQLite, as hand-written statements prepared once on the
// better-sqlite3 connection, in one synchronous transaction each. The DHCP server appends four events and four
// captured packets per exchange, on the SQLite writer thread: through Kysely each chunk of rows was a query built,
// compiled and run, and each step of the transaction a promise; profiles of `fleetboot serve` under the bench
// kit's load put these two appends at a fifth of the writer thread's samples.
//
// The statements are those logs.ts and captures.ts build with Kysely, written out (the same rows, chunks, order,
// trim); the conformance suite runs both stores' appends through the same tests, and PostgreSQL keeps the Kysely
// path. Like lease-batch-sqlite.ts, a transaction takes the write lock from the start (IMMEDIATE) and is durable
// (synchronous=FULL) when the promise resolves.
import type SqliteDatabase from 'better-sqlite3';
import type { Insertable } from 'kysely';
import type { CaptureBound } from '../../inventory/capture.js';
import type { CapturedPacketsTable, EventsTable } from '../schema.js';
import { chunked } from './chunks.js';
import { immediateTransaction, type SqliteAccess } from './context.js';

export const EVENT_COLUMNS = ['at', 'machine_id', 'mac', 'source', 'kind', 'details'] as const;
export const CAPTURE_COLUMNS = [
  'machine_id',
  'at',
  'mac',
  'protocol',
  'direction',
  'source_address',
  'source_port',
  'destination_address',
  'destination_port',
  'payload',
  'payload_length',
] as const;

type EventRow = Insertable<EventsTable>;
/** A captured packet's row without its machine, which the append finds by MAC. */
export type CaptureRow = Omit<Insertable<CapturedPacketsTable>, 'machine_id'>;
type OwnedCaptureRow = Insertable<CapturedPacketsTable>;

/** `count` rows of `columns` as one VALUES list of positional parameters. */
export function insertSql(table: string, columns: readonly string[], count: number): string {
  const row = `(${columns.map(() => '?').join(', ')})`;
  return `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${Array(count).fill(row).join(', ')}`;
}

function placeholders(count: number): string {
  return Array<string>(count).fill('?').join(', ');
}

/** The statements of both appends for one connection, prepared on first use (after migrations ran). */
export class SqliteAppends {
  private readonly statements = new Map<string, SqliteDatabase.Statement>();

  constructor(private readonly sqlite: SqliteAccess) {}

  /** The rows appended in order, in one transaction; their ids in the same order. */
  appendEvents(rows: readonly EventRow[]): Promise<number[]> {
    return this.sqlite.exclusive(() =>
      immediateTransaction(this.sqlite.database, () => {
        const ids: number[] = [];
        for (const chunk of chunked(rows)) {
          const params = chunk.flatMap((row) => EVENT_COLUMNS.map((column) => row[column] ?? null));
          const returned = this.statement(
            `events:${chunk.length}`,
            () => `${insertSql('events', EVENT_COLUMNS, chunk.length)} returning "id"`,
          ).all(params) as { id: number }[];
          // RETURNING promises no order; SQLite takes rowids for VALUES rows in order (logs.ts says why).
          ids.push(...returned.map((row) => row.id).sort((a, b) => a - b));
        }
        return ids;
      }),
    );
  }

  /**
   * Appends the rows whose MAC belongs to a machine, trims those machines' captures to `bound` (captures.ts `trim`),
   * and returns the indexes of the rows that had no machine. One transaction.
   */
  appendCaptures(rows: readonly CaptureRow[], bound: CaptureBound): Promise<number[]> {
    return this.sqlite.exclusive(() =>
      immediateTransaction(this.sqlite.database, () => {
        const owners = new Map<string, string>();
        for (const macs of chunked([...new Set(rows.map((row) => row.mac))])) {
          const found = this.statement(
            `owners:${macs.length}`,
            () =>
              `select "mac", "machine_id" from "machine_interfaces" where "mac" in (${placeholders(macs.length)})`,
          ).all(macs) as { mac: string; machine_id: string }[];
          for (const owner of found) owners.set(owner.mac, owner.machine_id);
        }
        const owned: OwnedCaptureRow[] = [];
        const unowned: number[] = [];
        for (const [index, row] of rows.entries()) {
          const machineId = owners.get(row.mac);
          if (machineId === undefined) unowned.push(index);
          else owned.push({ ...row, machine_id: machineId });
        }
        for (const chunk of chunked(owned)) {
          this.statement(`captures:${chunk.length}`, () =>
            insertSql('captured_packets', CAPTURE_COLUMNS, chunk.length),
          ).run(chunk.flatMap((row) => CAPTURE_COLUMNS.map((column) => row[column])));
        }
        for (const machineIds of chunked([...new Set(owned.map((row) => row.machine_id))])) {
          this.statement(`trim:${machineIds.length}`, () => trimSql(machineIds.length)).run([
            ...machineIds,
            bound.packets,
            bound.bytes,
          ]);
        }
        return unowned;
      }),
    );
  }

  private statement(key: string, text: () => string): SqliteDatabase.Statement {
    let statement = this.statements.get(key);
    if (statement === undefined) {
      statement = this.sqlite.database.prepare(text());
      this.statements.set(key, statement);
    }
    return statement;
  }
}

/** captures.ts `trim` for `count` machines: their packets beyond the newest `bound.packets` or `bound.bytes` go. */
function trimSql(count: number): string {
  return `delete from "captured_packets"
    where "id" in (
      select "id" from (
        select "id",
               row_number() over newest as newer,
               sum(length("payload")) over newest as octets
        from "captured_packets"
        where "machine_id" in (${placeholders(count)})
        window newest as (partition by "machine_id" order by "id" desc)
      ) ranked
      where newer > ? or octets > ?
    )`;
}
