// The one statement that writes an offered or bound lease, shared by LeaseStore.commit and commitMany. It takes the
// Kysely instance to run on, because commitMany runs it inside a transaction: on SQLite a query on the store's
// own instance would wait for the one connection that transaction holds.
import {
  ACTIVE_LEASE_STATES,
  isActiveLeaseState,
  type Lease,
  type LeaseState,
} from '../../inventory/lease.js';
import { InvalidInputError, LeaseConflictError, StoreDataError } from '../errors.js';
import type { Insertable, Kysely } from 'kysely';
import type { SqlAdapter } from '../adapter.js';
import type { Database, LeasesTable } from '../schema.js';
import { decodeLease, encodeLease, type LeaseRow } from './lease-codec.js';

/** Columns an offer leaves as they are when it meets this client's binding. */
type KeptColumn = 'mac' | 'state' | 'server_id' | 'hostname' | 'relay_agent_info';

/** States an address can be taken over from by another client. Declined addresses stay out until expire(). */
const FREE_STATES: readonly LeaseState[] = ['released', 'expired'];

/** The row for `lease`, or InvalidInputError: checked before any statement runs. */
export function leaseRow(lease: Lease, now: number): Insertable<LeasesTable> {
  if (!isActiveLeaseState(lease.state)) {
    throw new InvalidInputError(
      'state',
      `commit writes offered or bound leases; use release, decline or expire for ${lease.state}`,
    );
  }
  return encodeLease(lease, now);
}

/**
 * The rows of a batch (LeaseStore.commitMany), each checked before any statement runs: an invalid lease is answered
 * with its InvalidInputError and takes no part in the transaction, as `commit` would refuse it.
 */
export function leaseRows(
  leases: readonly Lease[],
  now: number,
): (Insertable<LeasesTable> | InvalidInputError)[] {
  return leases.map((lease) => {
    try {
      return leaseRow(lease, now);
    } catch (error) {
      if (error instanceof InvalidInputError) return error;
      throw error;
    }
  });
}

/**
 * Writes the row, or throws LeaseConflictError naming the holder. A unique violation is rethrown as it came when
 * `onViolation` is given, after the callback ran (commitMany rolls back to its savepoint there, which PostgreSQL
 * needs before the transaction can read the holder).
 */
export async function upsertLease(
  db: Kysely<Database>,
  adapter: SqlAdapter,
  lease: Lease,
  row: Insertable<LeasesTable>,
  now: number,
  onViolation: () => Promise<void> = () => Promise.resolve(),
): Promise<Lease> {
  let written: LeaseRow | undefined;
  try {
    written = await insertOrTakeOver(db, row, now);
  } catch (error) {
    if (!adapter.uniqueViolation(error)?.includes('client_id')) throw error;
    await onViolation();
    const holder = await readable(activeLeaseOf(db, row.subnet, row.client_id));
    throw new LeaseConflictError('client-holds-another', lease, holder);
  }
  if (!written) {
    throw new LeaseConflictError('address-held', lease, await readable(leaseAt(db, row.address)));
  }
  return decodeLease(written);
}

// One statement, so it is atomic on both dialects: insert, or take the row over if it is free or already this
// client's. A row held by someone else is left alone and nothing is returned.
function insertOrTakeOver(
  db: Kysely<Database>,
  row: Insertable<LeasesTable>,
  now: number,
): Promise<LeaseRow | undefined> {
  return db
    .insertInto('leases')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('address')
        .doUpdateSet((eb) => {
          // An offer never downgrades this client's binding while it lasts (see LeaseStore.commit): the row stays
          // as bound, and only an offer that outlasts it moves its expiry.
          const keepBinding = eb.and([
            eb('leases.state', '=', 'bound'),
            eb('leases.expires_at', '>', now),
            eb('excluded.state', '=', 'offered'),
          ]);
          const unlessBound = <C extends KeptColumn>(column: C) =>
            eb
              .case()
              .when(keepBinding)
              .then(eb.ref(`leases.${column}`))
              .else(eb.ref(`excluded.${column}`))
              .end();
          return {
            address_num: eb.ref('excluded.address_num'),
            subnet: eb.ref('excluded.subnet'),
            client_id: eb.ref('excluded.client_id'),
            mac: unlessBound('mac'),
            state: unlessBound('state'),
            expires_at: eb
              .case()
              .when(eb.and([keepBinding, eb('leases.expires_at', '>', eb.ref('excluded.expires_at'))]))
              .then(eb.ref('leases.expires_at'))
              .else(eb.ref('excluded.expires_at'))
              .end(),
            server_id: unlessBound('server_id'),
            hostname: unlessBound('hostname'),
            relay_agent_info: unlessBound('relay_agent_info'),
            updated_at: eb.ref('excluded.updated_at'),
          };
        })
        .where((eb) =>
          eb.or([
            eb('leases.state', 'in', FREE_STATES),
            eb.and([
              eb('leases.state', 'in', ACTIVE_LEASE_STATES),
              eb('leases.client_id', '=', eb.ref('excluded.client_id')),
              eb('leases.subnet', '=', eb.ref('excluded.subnet')),
            ]),
          ]),
        ),
    )
    .returningAll()
    .executeTakeFirst();
}

export async function leaseAt(db: Kysely<Database>, address: string): Promise<Lease | undefined> {
  const row = await db.selectFrom('leases').selectAll().where('address', '=', address).executeTakeFirst();
  return row ? decodeLease(row) : undefined;
}

async function activeLeaseOf(
  db: Kysely<Database>,
  subnet: string,
  clientId: string,
): Promise<Lease | undefined> {
  const row = await db
    .selectFrom('leases')
    .selectAll()
    .where('subnet', '=', subnet)
    .where('client_id', '=', clientId)
    .where('state', 'in', ACTIVE_LEASE_STATES)
    .executeTakeFirst();
  return row ? decodeLease(row) : undefined;
}

/** The holder, for the conflict's message; a holder row that does not decode must not hide the conflict. */
async function readable(read: Promise<Lease | undefined>): Promise<Lease | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof StoreDataError) return undefined;
    throw error;
  }
}
