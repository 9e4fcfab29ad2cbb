// InventoryStore over Kysely: machines with their interfaces and labels.
import { type Kysely, sql, type Updateable } from 'kysely';
import {
  type Labels,
  MACHINE_STATES,
  type Machine,
  type MachineId,
  type MachineState,
} from '../../inventory/machine.js';
import { isOneOf } from '../../values/guards.js';
import { type Mac, parseMac } from '../../values/mac.js';
import { parseUuid, type Uuid } from '../../values/uuid.js';
import {
  DuplicateValueError,
  InvalidInputError,
  MachineConflictError,
  MachineNotFoundError,
  type UniqueField,
} from '../errors.js';
import type { Database, MachinesTable } from '../schema.js';
import type {
  Contact,
  ContactResult,
  Expectation,
  InventoryStore,
  MachineCounts,
  MachineFilter,
  MachineListQuery,
  MachinePage,
  MachinePatch,
} from '../types.js';
import type { QueryContext } from './context.js';
import { decodeAll } from './decode.js';
import {
  decodeMachine,
  encodeArch,
  encodeLabels,
  encodeMacs,
  encodePatch,
  type MachineRow,
} from './machine-codec.js';
import { selectMachines } from './machine-read.js';
import { applyFilter, applyPage, checkPageSize, checkSort, cursorAfter } from './machine-list.js';
import { checkCanonical, checkOptionalText, checkText } from './validate.js';

/** Values that may collide with another machine's, by the field the error names. */
interface Candidates {
  readonly mac?: readonly string[] | undefined;
  readonly reservedIp?: string | null | undefined;
  readonly installToken?: string | null | undefined;
}

type Learned = Pick<MachineRow, 'uuid' | 'arch' | 'vendor_class' | 'hostname'>;

/** What a contact says about the machine, checked; an empty option says nothing. */
function learnedFrom(contact: Contact): Learned {
  const { uuid } = contact;
  return {
    uuid: uuid === null || uuid === undefined ? null : checkCanonical('uuid', uuid, parseUuid),
    arch: encodeArch(contact.arch),
    // An empty option says nothing: it must not fail the contact, nor be learned as a value.
    vendor_class: checkOptionalText('vendorClass', contact.vendorClass || null),
    hostname: checkOptionalText('hostname', contact.hostname || null),
  };
}

/** MACs per statement when a batch of contacts reads or enrols machines (an insert binds 10 values a machine). */
const ENROL_CHUNK = 500;

/** Unique columns of machines and machine_interfaces, and the field a user knows them by. */
const UNIQUE_FIELDS: Record<string, UniqueField> = {
  mac: 'mac',
  reserved_ip: 'reservedIp',
  mark_token_hash: 'installToken',
};

export class KyselyInventoryStore implements InventoryStore {
  constructor(private readonly ctx: QueryContext) {}

  async recordContact(contact: Contact): Promise<ContactResult> {
    const [result] = await this.recordContacts([contact]);
    if (result === undefined) throw new Error('recordContacts returned no result for one contact');
    return result;
  }

  async recordContacts(contacts: readonly Contact[]): Promise<readonly ContactResult[]> {
    // Checked first: an invalid contact fails the call before anything is written.
    const checked = contacts.map((contact) => ({
      mac: checkCanonical('mac', contact.mac, parseMac),
      learned: learnedFrom(contact),
    }));
    if (checked.length === 0) return [];
    // One transaction, so a burst of new machines costs one durable commit (one fsync with SQLite's
    // synchronous=FULL), not one each; a contact that has nothing new writes nothing.
    return this.ctx.adapter.writeTransaction(this.ctx.db, (trx) => this.contactsIn(trx, checked));
  }

  /**
   * The batch as one contact at a time would record it, in order, in a few statements however many contacts: one
   * read of the machines the batch's MACs name, one insert of all new machines and one of their interfaces, one
   * read of those back. A rack powering on is hundreds of new MACs at once, and on the DHCP path these statements
   * share the store's writer with the lease commits every ACK waits for (bench/README.md, DHCP).
   */
  private async contactsIn(
    trx: Kysely<Database>,
    checked: readonly { mac: Mac; learned: Learned }[],
  ): Promise<ContactResult[]> {
    const current = await this.byMacs(
      trx,
      checked.map((c) => c.mac),
    );
    // A MAC no machine has is enrolled with what its first contact says; its later contacts learn as usual.
    const firsts = new Map<Mac, Learned>();
    for (const { mac, learned } of checked) {
      if (!current.has(mac) && !firsts.has(mac)) firsts.set(mac, learned);
    }
    const enrolled = await this.enrolAll(trx, firsts);
    for (const [mac, machine] of enrolled) current.set(mac, machine);

    const results: ContactResult[] = [];
    const createdReported = new Set<Mac>();
    for (const { mac, learned } of checked) {
      const machine = current.get(mac);
      if (machine !== undefined && enrolled.has(mac) && !createdReported.has(mac)) {
        createdReported.add(mac);
        results.push({ machine, created: true });
        continue;
      }
      const updated = machine && (await this.learn(trx, machine, learned));
      // Forgotten since the read, or enrolled by another server meanwhile: one contact alone settles it.
      const result = updated ? { machine: updated, created: false } : await this.contactIn(trx, mac, learned);
      current.set(mac, result.machine);
      results.push(result);
    }
    return results;
  }

  /** The machines that have these MACs, by MAC, read in one statement. */
  private async byMacs(trx: Kysely<Database>, macs: readonly Mac[]): Promise<Map<Mac, Machine>> {
    const found = new Map<Mac, Machine>();
    const wanted = new Set(macs);
    const distinct = [...wanted];
    for (let start = 0; start < distinct.length; start += ENROL_CHUNK) {
      const rows = await this.machines(trx)
        .where('machines.id', 'in', (eb) =>
          eb
            .selectFrom('machine_interfaces')
            .select('machine_interfaces.machine_id')
            .where('machine_interfaces.mac', 'in', distinct.slice(start, start + ENROL_CHUNK)),
        )
        .execute();
      for (const machine of decodeAll(rows, decodeMachine, this.ctx.logger)) {
        for (const mac of machine.macs) if (wanted.has(mac)) found.set(mac, machine);
      }
    }
    return found;
  }

  /**
   * New `discovered` machines for these MACs, in two inserts. An interface another server added since our read
   * (PostgreSQL; SQLite has one writer) is skipped by ON CONFLICT — no failed statement, so no savepoint — and its
   * machine row goes again: the contact loop then finds the winner. Returns the machines enrolled here.
   */
  private async enrolAll(
    trx: Kysely<Database>,
    firsts: ReadonlyMap<Mac, Learned>,
  ): Promise<Map<Mac, Machine>> {
    const enrolled = new Map<Mac, Machine>();
    // In MAC order: two servers enrolling the same new MACs then wait on each other's interfaces in one order, and
    // PostgreSQL finds no deadlock (in input order, opposite batches deadlocked 6 runs in 6 at 3,000 MACs).
    const entries = [...firsts]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([mac, learned]) => ({
        mac,
        learned,
        id: this.ctx.newId() as MachineId,
      }));
    // Chunks keep a statement under both dialects' bound-parameter limits (SQLite 32,766; PostgreSQL 65,535).
    for (let start = 0; start < entries.length; start += ENROL_CHUNK) {
      const chunk = entries.slice(start, start + ENROL_CHUNK);
      const now = this.ctx.now();
      await trx
        .insertInto('machines')
        .values(
          chunk.map(({ learned, id }) => ({
            id,
            ...learned,
            reserved_ip: null,
            profile: null,
            state: 'discovered' as const,
            version: 1,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
      const added = await trx
        .insertInto('machine_interfaces')
        .values(chunk.map(({ mac, id }) => ({ mac, machine_id: id, position: 0 })))
        .onConflict((oc) => oc.column('mac').doNothing())
        .returning('mac')
        .execute();
      const addedMacs = new Set(added.map((row) => row.mac));
      const orphans = chunk.filter((e) => !addedMacs.has(e.mac)).map((e) => e.id);
      if (orphans.length > 0) await trx.deleteFrom('machines').where('id', 'in', orphans).execute();
      const kept = chunk.filter((e) => addedMacs.has(e.mac)).map((e) => e.id);
      if (kept.length === 0) continue;
      const rows = await this.machines(trx).where('machines.id', 'in', kept).execute();
      for (const machine of decodeAll(rows, decodeMachine, this.ctx.logger)) {
        const mac = machine.macs[0];
        if (mac !== undefined) enrolled.set(mac, machine);
      }
    }
    return enrolled;
  }

  private async contactIn(trx: Kysely<Database>, mac: Mac, learned: Learned): Promise<ContactResult> {
    // A machine forgotten between the lookup and the update is not there to learn about: enrol it again.
    const known = await this.byMac(trx, mac);
    const updated = known && (await this.learn(trx, known, learned));
    if (updated) return { machine: updated, created: false };
    const id = this.ctx.newId() as MachineId;
    const now = this.ctx.now();
    // Under a savepoint: on PostgreSQL a failed statement aborts the transaction unless rolled back to one, and on
    // both dialects the machine row must go again when its interface cannot be added.
    await sql`savepoint contact`.execute(trx);
    try {
      await trx
        .insertInto('machines')
        .values({
          id,
          ...learned,
          reserved_ip: null,
          profile: null,
          state: 'discovered',
          version: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await trx.insertInto('machine_interfaces').values({ mac, machine_id: id, position: 0 }).execute();
    } catch (error) {
      // Another contact from the same MAC enrolled it first (another server, committed since this transaction
      // read): the unique MAC refused our insert, and theirs is the machine.
      if (!this.ctx.adapter.uniqueViolation(error)?.includes('mac')) throw error;
      await sql`rollback to savepoint contact`.execute(trx);
      await sql`release savepoint contact`.execute(trx);
      const winner = await this.byMac(trx, mac);
      if (!winner) throw error;
      return { machine: (await this.learn(trx, winner, learned)) ?? winner, created: false };
    }
    await sql`release savepoint contact`.execute(trx);
    return { machine: await this.mustRead(trx, id), created: true };
  }

  /**
   * Fills in what the machine did not know; never overwrites (see InventoryStore.recordContact). Undefined when the
   * machine is gone.
   */
  private async learn(
    trx: Kysely<Database>,
    machine: Machine,
    learned: Learned,
  ): Promise<Machine | undefined> {
    const known: Learned = {
      uuid: machine.uuid,
      arch: machine.arch,
      vendor_class: machine.vendorClass,
      hostname: machine.hostname,
    };
    const unknown = (Object.keys(learned) as (keyof Learned)[]).filter(
      (column) => learned[column] !== null && known[column] === null,
    );
    // Nothing new (the usual case: every packet repeats what the first one said): no write, no second read.
    if (unknown.length === 0) return machine;
    await trx
      .updateTable('machines')
      .set((eb) => ({
        uuid: eb.fn.coalesce('uuid', eb.val(learned.uuid)),
        arch: eb.fn.coalesce('arch', eb.val(learned.arch)),
        vendor_class: eb.fn.coalesce('vendor_class', eb.val(learned.vendor_class)),
        hostname: eb.fn.coalesce('hostname', eb.val(learned.hostname)),
        version: eb('version', '+', 1),
        updated_at: this.ctx.now(),
      }))
      .where('id', '=', machine.id)
      // Only when something new is learned, so a machine that knows it all is not rewritten on every packet.
      .where((eb) => eb.or(unknown.map((column) => eb(column, 'is', null))))
      .execute();
    // Read back in the same transaction: what this change wrote (or what a concurrent contact wrote first), not
    // what a later change did; nothing when the machine was forgotten meanwhile.
    return this.read(trx, machine.id);
  }

  async get(id: MachineId): Promise<Machine | undefined> {
    return this.read(this.ctx.db, id);
  }

  async getByMac(mac: Mac): Promise<Machine | undefined> {
    return this.byMac(this.ctx.db, mac);
  }

  private async byMac(db: Kysely<Database>, mac: Mac): Promise<Machine | undefined> {
    // By the id its interface names: SQLite runs an EXISTS over machines as a scan of every machine (a lookup cost
    // that grew with the fleet, on every DHCP contact), and this as two primary-key searches. Still one statement.
    const row = await this.machines(db)
      .where('machines.id', '=', (eb) =>
        eb
          .selectFrom('machine_interfaces')
          .select('machine_interfaces.machine_id')
          .where('machine_interfaces.mac', '=', mac),
      )
      .executeTakeFirst();
    return row && decodeMachine(row);
  }

  async findByUuid(uuid: Uuid): Promise<readonly Machine[]> {
    const rows = await this.machines(this.ctx.db)
      .where('uuid', '=', uuid)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return decodeAll(rows, decodeMachine, this.ctx.logger);
  }

  async getByInstallToken(tokenHash: string): Promise<Machine | undefined> {
    const row = await this.machines(this.ctx.db)
      .where('mark_token_hash', '=', checkText('tokenHash', tokenHash))
      .executeTakeFirst();
    return row && decodeMachine(row);
  }

  async list(query: MachineListQuery = {}): Promise<MachinePage> {
    const sort = checkSort(query.sort);
    const limit = checkPageSize(query.limit);
    // The page and the total from one snapshot: a machine forgotten in between is in both or in neither.
    const { rows, count } = await this.ctx.adapter.readSnapshot(this.ctx.db, async (db) => ({
      rows: await applyPage(applyFilter(this.machines(db), query.filter), sort, query.cursor)
        .limit(limit + 1)
        .execute(),
      count: await applyFilter(
        db.selectFrom('machines').select((eb) => eb.fn.countAll<number | string>().as('n')),
        query.filter,
      ).executeTakeFirstOrThrow(),
    }));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: decodeAll(page, decodeMachine, this.ctx.logger),
      nextCursor: rows.length > limit && last ? cursorAfter(last, sort) : null,
      total: Number(count.n),
    };
  }

  async countByState(filter?: MachineFilter): Promise<MachineCounts> {
    const rows = await applyFilter(
      this.ctx.db
        .selectFrom('machines')
        .select((eb) => ['machines.state', eb.fn.countAll<number | string>().as('n')]),
      filter,
    )
      .groupBy('machines.state')
      .execute();
    const counts = Object.fromEntries(MACHINE_STATES.map((state) => [state, 0])) as Record<
      MachineState,
      number
    >;
    for (const row of rows) if (isOneOf(MACHINE_STATES, row.state)) counts[row.state] = Number(row.n);
    return counts;
  }

  async update(id: MachineId, patch: MachinePatch, expect: Expectation): Promise<Machine> {
    checkExpectation(expect, true);
    const columns = encodePatch(patch);
    const macs = patch.macs === undefined ? undefined : encodeMacs('macs', patch.macs);
    const candidates = { mac: macs, reservedIp: columns.reserved_ip, installToken: columns.mark_token_hash };
    return this.write(id, expect, candidates, async (trx) => {
      // The machine row first: it takes the write lock before anything is read (SQLite: no BUSY_SNAPSHOT).
      if (!(await this.bump(trx, id, expect, columns))) return false;
      if (macs) {
        await trx.deleteFrom('machine_interfaces').where('machine_id', '=', id).execute();
        await trx
          .insertInto('machine_interfaces')
          .values(macs.map((mac, position) => ({ mac, machine_id: id, position })))
          .execute();
      }
      return true;
    });
  }

  async setLabels(id: MachineId, labels: Labels, expect: Expectation = {}): Promise<Machine> {
    checkExpectation(expect, false);
    const entries = encodeLabels(labels);
    return this.write(id, expect, {}, async (trx) => {
      if (!(await this.bump(trx, id, expect, {}))) return false;
      await trx.deleteFrom('machine_labels').where('machine_id', '=', id).execute();
      if (entries.length > 0) {
        await trx
          .insertInto('machine_labels')
          .values(entries.map(([key, value]) => ({ machine_id: id, key, value })))
          .execute();
      }
      return true;
    });
  }

  async forget(id: MachineId, expect: Expectation = {}): Promise<boolean> {
    checkExpectation(expect, false);
    // Interfaces and labels go with it (ON DELETE CASCADE); events are history and stay.
    const result = await this.ctx.db
      .deleteFrom('machines')
      .where('id', '=', id)
      .$if(expect.version !== undefined, (q) => q.where('version', '=', expect.version ?? 0))
      .$if(expect.state !== undefined, (q) => q.where('state', '=', expect.state ?? ''))
      .executeTakeFirst();
    if (result.numDeletedRows > 0n) return true;
    const current = await this.current(id);
    if (current) throw new MachineConflictError(id, expect, current);
    return false;
  }

  /**
   * Runs a change in one transaction and returns the machine as the change left it, read in that transaction.
   * `change` returns false when the expectation did not hold; then nothing is written and the caller learns
   * whether the machine is gone or changed. Unique and check violations become domain errors.
   */
  private async write(
    id: MachineId,
    expect: Expectation,
    candidates: Candidates,
    change: (trx: Kysely<Database>) => Promise<boolean>,
  ): Promise<Machine> {
    let written: Machine | false;
    try {
      written = await this.ctx.db
        .transaction()
        .execute(async (trx) => (await change(trx)) && this.mustRead(trx, id));
    } catch (error) {
      throw await this.domainError(error, id, candidates);
    }
    if (written) return written;
    const current = await this.current(id);
    if (!current) throw new MachineNotFoundError(id);
    throw new MachineConflictError(id, expect, current);
  }

  /** Increments the version of a machine that meets the expectation, with other column changes; false if none did. */
  private async bump(
    trx: Kysely<Database>,
    id: MachineId,
    expect: Expectation,
    columns: Updateable<MachinesTable>,
  ): Promise<boolean> {
    const result = await trx
      .updateTable('machines')
      .set((eb) => ({ ...columns, version: eb('version', '+', 1), updated_at: this.ctx.now() }))
      .where('id', '=', id)
      .$if(expect.version !== undefined, (q) => q.where('version', '=', expect.version ?? 0))
      .$if(expect.state !== undefined, (q) => q.where('state', '=', expect.state ?? ''))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  private async domainError(error: unknown, id: MachineId, candidates: Candidates): Promise<unknown> {
    const columns = this.ctx.adapter.uniqueViolation(error);
    const field = columns?.length === 1 && columns[0] !== undefined ? UNIQUE_FIELDS[columns[0]] : undefined;
    if (field === 'mac') return new DuplicateValueError(field, await this.takenMac(id, candidates.mac ?? []));
    if (field) return new DuplicateValueError(field, candidates[field] ?? '');
    if (this.ctx.adapter.checkViolation(error) === 'machines_mark_matches_state') {
      return new InvalidInputError(
        'installMark',
        'a machine has an install mark exactly while it is queued or installing',
      );
    }
    return error;
  }

  /** Which of the MACs another machine has; SQLite does not say which value collided. */
  private async takenMac(id: MachineId, macs: readonly string[]): Promise<string> {
    if (macs.length === 0) return '';
    const row = await this.ctx.db
      .selectFrom('machine_interfaces')
      .select('mac')
      .where('mac', 'in', macs)
      .where('machine_id', '<>', id)
      .executeTakeFirst();
    return row?.mac ?? macs.join(', ');
  }

  private async current(id: MachineId) {
    return this.ctx.db
      .selectFrom('machines')
      .select(['version', 'state'])
      .where('id', '=', id)
      .executeTakeFirst() as Promise<{ version: number; state: Machine['state'] } | undefined>;
  }

  private machines(db: Kysely<Database>) {
    return selectMachines(db, this.ctx.adapter);
  }

  /** The machine with this id, read in one statement. */
  private async read(db: Kysely<Database>, id: MachineId): Promise<Machine | undefined> {
    const row = await this.machines(db).where('machines.id', '=', id).executeTakeFirst();
    return row && decodeMachine(row);
  }

  private async mustRead(db: Kysely<Database>, id: MachineId): Promise<Machine> {
    const machine = await this.read(db, id);
    if (!machine) throw new MachineNotFoundError(id);
    return machine;
  }
}

function checkExpectation(expect: Expectation, required: boolean): void {
  if (required && expect.version === undefined && expect.state === undefined) {
    throw new InvalidInputError('expect', 'an update must state the version or the state it expects');
  }
  if (expect.version !== undefined && !Number.isSafeInteger(expect.version)) {
    throw new InvalidInputError('expect.version', 'must be an integer');
  }
}
