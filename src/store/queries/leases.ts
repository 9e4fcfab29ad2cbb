// LeaseStore over Kysely. Uniqueness comes from the schema (migrations/0001-initial.ts), not from locks or
// read-then-write checks, so it holds with several servers writing one PostgreSQL database (design.md §5):
//   - the address is the primary key: one row, so one holder, per address;
//   - a partial unique index on (subnet, client_id) over offered and bound leases: one active lease per client.
import {
  ACTIVE_LEASE_STATES,
  type ClientId,
  isActiveLeaseState,
  type Lease,
  type LeaseState,
} from '../../inventory/lease.js';
import type { EpochMs } from '../../inventory/time.js';
import { formatSubnet, type Ipv4, type Ipv4Subnet, ipv4ToInt } from '../../values/ipv4.js';
import { InvalidInputError, LeaseConflictError, StoreDataError } from '../errors.js';
import type { LeaseStore } from '../types.js';
import type { QueryContext } from './context.js';
import { decodeAll } from './decode.js';
import { decodeLease, encodeLease, type LeaseRow } from './lease-codec.js';
import { checkEpochMs } from './validate.js';

/** Columns an offer leaves as they are when it meets this client's binding. */
type KeptColumn = 'mac' | 'state' | 'server_id' | 'hostname' | 'relay_agent_info';

/** States an address can be taken over from by another client. Declined addresses stay out until expire(). */
const FREE_STATES: readonly LeaseState[] = ['released', 'expired'];

export class KyselyLeaseStore implements LeaseStore {
  constructor(private readonly ctx: QueryContext) {}

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
    const row = await this.ctx.db
      .selectFrom('leases')
      .selectAll()
      .where('address', '=', address)
      .executeTakeFirst();
    return row ? decodeLease(row) : undefined;
  }

  async commit(lease: Lease): Promise<Lease> {
    if (!isActiveLeaseState(lease.state)) {
      throw new InvalidInputError(
        'state',
        `commit writes offered or bound leases; use release, decline or expire for ${lease.state}`,
      );
    }
    const now = this.ctx.now();
    const row = encodeLease(lease, now);
    let written: LeaseRow | undefined;
    try {
      // One statement, so it is atomic on both dialects: insert, or take the row over if it is free or already
      // this client's. A row held by someone else is left alone and nothing is returned.
      written = await this.ctx.db
        .insertInto('leases')
        .values(row)
        .onConflict((oc) =>
          oc
            .column('address')
            .doUpdateSet((eb) => {
              // An offer never downgrades this client's binding while it lasts (see LeaseStore.commit): the row
              // stays as bound, and only an offer that outlasts it moves its expiry.
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
    } catch (error) {
      if (!this.ctx.adapter.uniqueViolation(error)?.includes('client_id')) throw error;
      const holder = await this.readable(this.activeLeaseOf(row.subnet, row.client_id));
      throw new LeaseConflictError('client-holds-another', lease, holder);
    }
    if (!written) {
      throw new LeaseConflictError(
        'address-held',
        lease,
        await this.readable(this.findByAddress(lease.address)),
      );
    }
    return decodeLease(written);
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

  /** The holder, for the conflict's message; a holder row that does not decode must not hide the conflict. */
  private async readable(read: Promise<Lease | undefined>): Promise<Lease | undefined> {
    try {
      return await read;
    } catch (error) {
      if (error instanceof StoreDataError) return undefined;
      throw error;
    }
  }

  private async activeLeaseOf(subnet: string, clientId: string): Promise<Lease | undefined> {
    const row = await this.ctx.db
      .selectFrom('leases')
      .selectAll()
      .where('subnet', '=', subnet)
      .where('client_id', '=', clientId)
      .where('state', 'in', ACTIVE_LEASE_STATES)
      .executeTakeFirst();
    return row ? decodeLease(row) : undefined;
  }
}
