// LeaseStore.commitMany on SQLite, as hand-written statements prepared once on the better-sqlite3 connection. The
// DHCP server's group commit runs this for every batch of REQUESTs, and through Kysely each lease cost a query
// built, compiled and run for the upsert plus two for its savepoint: most of the server's CPU time per exchange.
// Here a lease costs one prepared statement, and no savepoint: SQLite undoes only the failing statement of a
// transaction on a constraint violation (https://sqlite.org/lang_conflict.html, ABORT, the default), so a conflict
// costs its own lease and nothing else, which PostgreSQL needs savepoints for (leases.ts).
//
// The upsert is the statement lease-upsert.ts builds with Kysely, written out; both must say the same thing, and
// the conformance suite checks it: on SQLite, `commit` runs the Kysely one and `commitMany` this one, and the
// batch tests compare their outcomes lease by lease.
import type SqliteDatabase from 'better-sqlite3';
import type { Insertable } from 'kysely';
import { ACTIVE_LEASE_STATES, type Lease } from '../../inventory/lease.js';
import type { SqlAdapter } from '../adapter.js';
import { InvalidInputError, LeaseConflictError, StoreDataError } from '../errors.js';
import type { LeasesTable } from '../schema.js';
import type { LeaseCommitResult } from '../types.js';
import { immediateTransaction, type SqliteAccess } from './context.js';
import { decodeLease, type LeaseRow } from './lease-codec.js';
import { leaseRows } from './lease-upsert.js';

// Insert, or take the row over if it is free (released, expired) or already this client's; a row held by someone
// else is left alone and nothing is returned. An offer never downgrades this client's unexpired binding
// (@keep: the row stays bound, with the later expiry). See lease-upsert.ts and LeaseStore.commit.
const KEEP = `("leases"."state" = 'bound' and "leases"."expires_at" > @now and "excluded"."state" = 'offered')`;
const unlessBound = (column: string): string =>
  `"${column}" = case when ${KEEP} then "leases"."${column}" else "excluded"."${column}" end`;
export const LEASE_UPSERT = `insert into "leases" ("address", "address_num", "subnet", "client_id", "mac", "state", "expires_at",
  "server_id", "hostname", "relay_agent_info", "updated_at")
values (@address, @address_num, @subnet, @client_id, @mac, @state, @expires_at, @server_id, @hostname,
  @relay_agent_info, @updated_at)
on conflict ("address") do update set
  "address_num" = "excluded"."address_num", "subnet" = "excluded"."subnet", "client_id" = "excluded"."client_id",
  ${unlessBound('mac')}, ${unlessBound('state')},
  "expires_at" = case when (${KEEP} and "leases"."expires_at" > "excluded"."expires_at")
    then "leases"."expires_at" else "excluded"."expires_at" end,
  ${unlessBound('server_id')}, ${unlessBound('hostname')}, ${unlessBound('relay_agent_info')},
  "updated_at" = "excluded"."updated_at"
where "leases"."state" in ('released', 'expired')
  or ("leases"."state" in (${ACTIVE_LEASE_STATES.map((s) => `'${s}'`).join(', ')})
    and "leases"."client_id" = "excluded"."client_id" and "leases"."subnet" = "excluded"."subnet")
returning *`;
const AT = `select * from "leases" where "address" = ?`;
const ACTIVE_OF = `select * from "leases" where "subnet" = ? and "client_id" = ?
  and "state" in (${ACTIVE_LEASE_STATES.map((s) => `'${s}'`).join(', ')})`;

interface Statements {
  readonly upsert: SqliteDatabase.Statement;
  readonly at: SqliteDatabase.Statement;
  readonly activeOf: SqliteDatabase.Statement;
}

/** commitMany for one better-sqlite3 connection; statements are prepared on first use (after migrations ran). */
export class SqliteLeaseBatch {
  private statements: Statements | undefined;

  constructor(
    private readonly sqlite: SqliteAccess,
    private readonly adapter: SqlAdapter,
  ) {}

  /**
   * One IMMEDIATE transaction (the write lock from the start: no deferred transaction that fails to upgrade),
   * durable when the promise resolves. Rejects only when the transaction fails, having written nothing.
   */
  async commitMany(leases: readonly Lease[], now: number): Promise<LeaseCommitResult[]> {
    const rows = leaseRows(leases, now);
    if (rows.every((row) => row instanceof InvalidInputError)) return rows.map(refused);
    return this.sqlite.exclusive(() => this.transaction(leases, rows, now));
  }

  private transaction(
    leases: readonly Lease[],
    rows: readonly (Insertable<LeasesTable> | InvalidInputError)[],
    now: number,
  ): LeaseCommitResult[] {
    const statements = this.prepared();
    return immediateTransaction(this.sqlite.database, (): LeaseCommitResult[] =>
      rows.map((row, i) => {
        const lease = leases[i];
        if (row instanceof InvalidInputError) return refused(row);
        if (lease === undefined) return refused(new InvalidInputError('lease', 'missing'));
        return this.commitOne(statements, lease, { ...row, now });
      }),
    );
  }

  private commitOne(
    statements: Statements,
    lease: Lease,
    params: Record<string, unknown> & {
      readonly address: string;
      readonly subnet: string;
      readonly client_id: string;
    },
  ): LeaseCommitResult {
    let written: LeaseRow | undefined;
    try {
      written = statements.upsert.get(params) as LeaseRow | undefined;
    } catch (error) {
      // Anything but the client holding another address fails the transaction, and with it the batch.
      if (!this.adapter.uniqueViolation(error)?.includes('client_id')) throw error;
      const holder = readable(
        () => statements.activeOf.get(params.subnet, params.client_id) as LeaseRow | undefined,
      );
      return { ok: false, error: new LeaseConflictError('client-holds-another', lease, holder) };
    }
    if (written === undefined) {
      const holder = readable(() => statements.at.get(params.address) as LeaseRow | undefined);
      return { ok: false, error: new LeaseConflictError('address-held', lease, holder) };
    }
    return { ok: true, lease: decodeLease(written) };
  }

  private prepared(): Statements {
    this.statements ??= {
      upsert: this.sqlite.database.prepare(LEASE_UPSERT),
      at: this.sqlite.database.prepare(AT),
      activeOf: this.sqlite.database.prepare(ACTIVE_OF),
    };
    return this.statements;
  }
}

function refused(error: InvalidInputError): LeaseCommitResult {
  return { ok: false, error };
}

/** The holder, for the conflict's message; a holder row that does not decode must not hide the conflict. */
function readable(read: () => LeaseRow | undefined): Lease | undefined {
  const row = read();
  if (row === undefined) return undefined;
  try {
    return decodeLease(row);
  } catch (error) {
    if (error instanceof StoreDataError) return undefined;
    throw error;
  }
}
