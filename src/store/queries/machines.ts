// InventoryStore over Kysely: machines with their interfaces and labels.
import type { Kysely, Updateable } from 'kysely';
import type { Labels, Machine, MachineId } from '../../inventory/machine.js';
import { isMac, type Mac, parseMac } from '../../values/mac.js';
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
import { applyFilter, applyPage, checkPageSize, checkSort, cursorAfter } from './machine-list.js';
import { checkOptionalText, checkText, parsed } from './validate.js';

/** Values that may collide with another machine's, by the field the error names. */
interface Candidates {
  readonly mac?: readonly string[] | undefined;
  readonly reservedIp?: string | null | undefined;
  readonly installToken?: string | null | undefined;
}

type Learned = Pick<MachineRow, 'uuid' | 'arch' | 'vendor_class' | 'hostname'>;

/** Unique columns of machines and machine_interfaces, and the field a user knows them by. */
const UNIQUE_FIELDS: Record<string, UniqueField> = {
  mac: 'mac',
  reserved_ip: 'reservedIp',
  mark_token_hash: 'installToken',
};

export class KyselyInventoryStore implements InventoryStore {
  constructor(private readonly ctx: QueryContext) {}

  async recordContact(contact: Contact): Promise<ContactResult> {
    const mac = parsed('mac', () => parseMac(contact.mac));
    const { uuid } = contact;
    const learned: Learned = {
      uuid: uuid === null || uuid === undefined ? null : parsed('uuid', () => parseUuid(uuid)),
      arch: encodeArch(contact.arch),
      // An empty option says nothing: it must not fail the contact, nor be learned as a value.
      vendor_class: checkOptionalText('vendorClass', contact.vendorClass || null),
      hostname: checkOptionalText('hostname', contact.hostname || null),
    };
    const known = await this.getByMac(mac);
    if (known) return { machine: await this.learn(known, learned), created: false };

    const id = this.ctx.newId();
    const now = this.ctx.now();
    try {
      await this.ctx.db.transaction().execute(async (trx) => {
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
      });
    } catch (error) {
      // Another contact from the same MAC enrolled it first (two servers, or a retransmission racing us): the
      // unique MAC rolled our insert back, and theirs is the machine.
      if (!this.ctx.adapter.uniqueViolation(error)?.includes('mac')) throw error;
      const winner = await this.getByMac(mac);
      if (!winner) throw error;
      return { machine: await this.learn(winner, learned), created: false };
    }
    return { machine: await this.mustGet(id as MachineId), created: true };
  }

  /** Fills in what the machine did not know; never overwrites (see InventoryStore.recordContact). */
  private async learn(machine: Machine, learned: Learned): Promise<Machine> {
    const unknown = (Object.keys(learned) as (keyof Learned)[]).filter((column) => learned[column] !== null);
    if (unknown.length === 0) return machine;
    const result = await this.ctx.db
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
      .executeTakeFirst();
    return result.numUpdatedRows > 0n ? this.mustGet(machine.id) : machine;
  }

  async get(id: MachineId): Promise<Machine | undefined> {
    const row = await this.ctx.db.selectFrom('machines').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.loadOne(row) : undefined;
  }

  async getByMac(mac: Mac): Promise<Machine | undefined> {
    if (!isMac(mac)) return undefined;
    const row = await this.ctx.db
      .selectFrom('machines')
      .innerJoin('machine_interfaces', 'machine_interfaces.machine_id', 'machines.id')
      .selectAll('machines')
      .where('machine_interfaces.mac', '=', parseMac(mac))
      .executeTakeFirst();
    return row ? this.loadOne(row) : undefined;
  }

  async findByUuid(uuid: Uuid): Promise<readonly Machine[]> {
    const rows = await this.ctx.db
      .selectFrom('machines')
      .selectAll()
      .where(
        'uuid',
        '=',
        parsed('uuid', () => parseUuid(uuid)),
      )
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return this.load(rows);
  }

  async getByInstallToken(tokenHash: string): Promise<Machine | undefined> {
    const row = await this.ctx.db
      .selectFrom('machines')
      .selectAll()
      .where('mark_token_hash', '=', checkText('tokenHash', tokenHash))
      .executeTakeFirst();
    return row ? this.loadOne(row) : undefined;
  }

  async list(query: MachineListQuery = {}): Promise<MachinePage> {
    const sort = checkSort(query.sort);
    const limit = checkPageSize(query.limit);
    const base = this.ctx.db.selectFrom('machines');
    const [rows, count] = await Promise.all([
      applyPage(applyFilter(base.selectAll(), query.filter), sort, query.cursor)
        .limit(limit + 1)
        .execute(),
      applyFilter(
        base.select((eb) => eb.fn.countAll<number | string>().as('n')),
        query.filter,
      ).executeTakeFirstOrThrow(),
    ]);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: await this.load(page),
      nextCursor: rows.length > limit && last ? cursorAfter(last, sort) : null,
      total: Number(count.n),
    };
  }

  async update(id: MachineId, patch: MachinePatch, expect: Expectation): Promise<Machine> {
    checkExpectation(expect, true);
    const columns = encodePatch(patch);
    const macs = patch.macs === undefined ? undefined : encodeMacs('macs', patch.macs);
    const candidates = { mac: macs, reservedIp: columns.reserved_ip, installToken: columns.mark_token_hash };
    await this.write(id, expect, candidates, async (trx) => {
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
    return this.mustGet(id);
  }

  async setLabels(id: MachineId, labels: Labels, expect: Expectation = {}): Promise<Machine> {
    checkExpectation(expect, false);
    const entries = encodeLabels(labels);
    await this.write(id, expect, {}, async (trx) => {
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
    return this.mustGet(id);
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
   * Runs a change in one transaction. `change` returns false when the expectation did not hold; then nothing is
   * written and the caller learns whether the machine is gone or changed. Unique and check violations become
   * domain errors.
   */
  private async write(
    id: MachineId,
    expect: Expectation,
    candidates: Candidates,
    change: (trx: Kysely<Database>) => Promise<boolean>,
  ): Promise<void> {
    let applied: boolean;
    try {
      applied = await this.ctx.db.transaction().execute(change);
    } catch (error) {
      throw await this.domainError(error, id, candidates);
    }
    if (applied) return;
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

  private async mustGet(id: MachineId): Promise<Machine> {
    const machine = await this.get(id);
    if (!machine) throw new MachineNotFoundError(id);
    return machine;
  }

  private async loadOne(row: MachineRow): Promise<Machine> {
    const { macs, labels } = await this.details([row.id]);
    return decodeMachine(row, macs.get(row.id) ?? [], labels.get(row.id) ?? []);
  }

  /** Machines of the rows, in row order; a row that does not decode is logged and left out. */
  private async load(rows: readonly MachineRow[]): Promise<Machine[]> {
    if (rows.length === 0) return [];
    const { macs, labels } = await this.details(rows.map((row) => row.id));
    return decodeAll(
      rows,
      (row) => decodeMachine(row, macs.get(row.id) ?? [], labels.get(row.id) ?? []),
      this.ctx.logger,
    );
  }

  private async details(ids: readonly string[]) {
    const [interfaces, labelRows] = await Promise.all([
      this.ctx.db
        .selectFrom('machine_interfaces')
        .select(['machine_id', 'mac'])
        .where('machine_id', 'in', ids)
        .orderBy('machine_id')
        .orderBy('position')
        .execute(),
      this.ctx.db
        .selectFrom('machine_labels')
        .select(['machine_id', 'key', 'value'])
        .where('machine_id', 'in', ids)
        .execute(),
    ]);
    const macs = new Map<string, string[]>();
    for (const { machine_id, mac } of interfaces)
      macs.set(machine_id, [...(macs.get(machine_id) ?? []), mac]);
    const labels = new Map<string, [string, string][]>();
    for (const { machine_id, key, value } of labelRows) {
      labels.set(machine_id, [...(labels.get(machine_id) ?? []), [key, value]]);
    }
    return { macs, labels };
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
