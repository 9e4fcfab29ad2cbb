// LeaseStore over Kysely. Uniqueness comes from the schema (migrations/0001-initial.ts), not from locks or
// read-then-write checks, so it holds with several servers writing one PostgreSQL database (design.md §5):
//   - the address is the primary key: one row, so one holder, per address;
//   - a partial unique index on (subnet, client_id) over offered and bound leases: one active lease per client.
import { type Insertable, type Kysely, sql } from 'kysely';
import { ACTIVE_LEASE_STATES, type ClientId, type Lease, type LeaseState } from '../../inventory/lease.js';
import type { EpochMs } from '../../inventory/time.js';
import { formatSubnet, type Ipv4, type Ipv4Subnet, ipv4ToInt } from '../../values/ipv4.js';
import { InvalidInputError, LeaseConflictError } from '../errors.js';
import type { Database, LeasesTable } from '../schema.js';
import type { LeaseCommitResult, LeaseStore } from '../types.js';
import type { QueryContext } from './context.js';
import { decodeAll } from './decode.js';
import { decodeLease } from './lease-codec.js';
import { SqliteLeaseBatch } from './lease-batch-sqlite.js';
import { leaseAt, leaseRow, leaseRows, upsertLease } from './lease-upsert.js';
import { checkEpochMs } from './validate.js';

export class KyselyLeaseStore implements LeaseStore {
  /** On SQLite, commitMany's prepared statements (lease-batch-sqlite.ts); PostgreSQL runs the Kysely path. */
  private readonly sqliteBatch: SqliteLeaseBatch | undefined;

  constructor(private readonly ctx: QueryContext) {
    this.sqliteBatch = ctx.sqlite === undefined ? undefined : new SqliteLeaseBatch(ctx.sqlite, ctx.adapter);
  }

  async findByClient(subnet: Ipv4Subnet, clientId: ClientId): Promise<Lease | undefined> {
    const row = await this.ctx.db
      .selectFrom('leases')
      .selectAll()
      .where('subnet', '=', formatSubnet(subnet))
      .where('client_id', '=', clientId)
      .where('state', '<>', 'declined')
      // The active lease first: the one the client holds now, if any.
      .orderBy((eb) => eb.case().when('state', 'in', ACTIVE_LEASE_STATES).then(0).else(1).end())
      .orderBy('updated_at', 'desc')
      .orderBy('address_num')
      .executeTakeFirst();
    return row ? decodeLease(row) : undefined;
  }

  async findByAddress(address: Ipv4): Promise<Lease | undefined> {
    return leaseAt(this.ctx.db, address);
  }

  async commit(lease: Lease): Promise<Lease> {
    const now = this.ctx.now();
    return upsertLease(this.ctx.db, this.ctx.adapter, lease, leaseRow(lease, now), now);
  }

  async commitMany(leases: readonly Lease[]): Promise<readonly LeaseCommitResult[]> {
    const now = this.ctx.now();
    if (this.sqliteBatch !== undefined) return this.sqliteBatch.commitMany(leases, now);
    const rows = leaseRows(leases, now);
    const refused = (error: InvalidInputError): LeaseCommitResult => ({ ok: false, error });
    if (rows.every((row) => row instanceof InvalidInputError)) return rows.map(refused);
    return this.ctx.db.transaction().execute(async (trx) => {
      const results: LeaseCommitResult[] = [];
      for (const [i, row] of rows.entries()) {
        const lease = leases[i];
        if (row instanceof InvalidInputError || lease === undefined) {
          results.push(refused(row instanceof InvalidInputError ? row : new InvalidInputError('lease', '')));
        } else {
          results.push(await this.commitInBatch(trx, lease, row, now));
        }
      }
      return results;
    });
  }

  /**
   * One lease of a batch under its own savepoint: on PostgreSQL a failed statement aborts the whole transaction
   * unless it is rolled back to a savepoint, and a conflict must cost only its own lease.
   */
  private async commitInBatch(
    trx: Kysely<Database>,
    lease: Lease,
    row: Insertable<LeasesTable>,
    now: number,
  ): Promise<LeaseCommitResult> {
    await sql`savepoint lease_commit`.execute(trx);
    const rollback = async () => {
      await sql`rollback to savepoint lease_commit`.execute(trx);
    };
    let result: LeaseCommitResult;
    try {
      result = { ok: true, lease: await upsertLease(trx, this.ctx.adapter, lease, row, now, rollback) };
    } catch (error) {
      // Anything else fails the transaction, and with it the batch.
      if (!(error instanceof LeaseConflictError)) throw error;
      result = { ok: false, error };
    }
    // A rolled-back savepoint still exists: release it too, so none pile up over a large batch.
    await sql`release savepoint lease_commit`.execute(trx);
    return result;
  }

  async listBySubnet(
    subnet: Ipv4Subnet,
    states: readonly LeaseState[] = ACTIVE_LEASE_STATES,
  ): Promise<readonly Lease[]> {
    if (states.length === 0) return [];
    const rows = await this.ctx.db
      .selectFrom('leases')
      .selectAll()
      .where('subnet', '=', formatSubnet(subnet))
      .where('state', 'in', states)
      .orderBy('address_num')
      .execute();
    return decodeAll(rows, decodeLease, this.ctx.logger);
  }

  async release(address: Ipv4, clientId: ClientId): Promise<Lease | undefined> {
    const now = this.ctx.now();
    return this.endActive(address, clientId, { state: 'released', expires_at: now, updated_at: now });
  }

  async decline(address: Ipv4, clientId: ClientId, probationUntil: EpochMs): Promise<Lease | undefined> {
    const until = checkEpochMs('probationUntil', probationUntil);
    return this.endActive(address, clientId, {
      state: 'declined',
      expires_at: until,
      updated_at: this.ctx.now(),
    });
  }

  async expire(asOf: EpochMs): Promise<readonly Lease[]> {
    const rows = await this.ctx.db
      .updateTable('leases')
      .set({ state: 'expired', updated_at: this.ctx.now() })
      .where('state', 'in', [...ACTIVE_LEASE_STATES, 'declined'])
      .where('expires_at', '<=', checkEpochMs('asOf', asOf))
      .returningAll()
      .execute();
    const leases = decodeAll(rows, decodeLease, this.ctx.logger);
    return leases.sort((a, b) => ipv4ToInt(a.address) - ipv4ToInt(b.address));
  }

  /** Ends the lease only if this client holds it (catalogue D26, D27: anything else is ignored). */
  private async endActive(
    address: Ipv4,
    clientId: ClientId,
    change: { state: LeaseState; expires_at: number; updated_at: number },
  ): Promise<Lease | undefined> {
    const row = await this.ctx.db
      .updateTable('leases')
      .set(change)
      .where('address', '=', address)
      .where('client_id', '=', clientId)
      .where('state', 'in', ACTIVE_LEASE_STATES)
      .returningAll()
      .executeTakeFirst();
    return row ? decodeLease(row) : undefined;
  }
}
