// Captured boot packets over Kysely (migration 0004): appended by MAC into the capture of the machine that has
// that interface, trimmed to a bound per machine, read back in time order for a pcap file.
import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import {
  CAPTURE_DIRECTIONS,
  CAPTURE_PROTOCOLS,
  type CaptureBound,
  type CapturedPacket,
  MAX_UDP_PAYLOAD_LENGTH,
  type NewCapturedPacket,
  type UdpAddress,
} from '../../inventory/capture.js';
import { type MachineId, parseMachineId } from '../../inventory/machine.js';
import { parseIpv4 } from '../../values/ipv4.js';
import { parseMac } from '../../values/mac.js';
import { InvalidInputError } from '../errors.js';
import type { CapturedPacketsTable, Database } from '../schema.js';
import type { CaptureStore } from '../types.js';
import { type CaptureRow, SqliteAppends } from './append-sqlite.js';
import { chunked } from './chunks.js';
import type { QueryContext } from './context.js';
import { canonical, decodeAll, decoded, oneOf } from './decode.js';
import { checkCanonical, checkEpochMs, checkInteger, parsed } from './validate.js';

export class KyselyCaptureStore implements CaptureStore {
  /** On SQLite, append's prepared statements (append-sqlite.ts); PostgreSQL runs the Kysely path. */
  private readonly sqliteAppends: SqliteAppends | undefined;

  constructor(private readonly ctx: QueryContext) {
    this.sqliteAppends = ctx.sqlite === undefined ? undefined : new SqliteAppends(ctx.sqlite);
  }

  async append(packets: readonly NewCapturedPacket[], bound: CaptureBound): Promise<readonly number[]> {
    checkBound(bound);
    // Encoded first: an invalid packet fails the call before anything is written.
    const rows = packets.map(encodePacket);
    if (rows.length === 0) return [];
    if (this.sqliteAppends !== undefined) return this.sqliteAppends.appendCaptures(rows, bound);
    return this.ctx.adapter.writeTransaction(this.ctx.db, async (db) => {
      const owners = new Map<string, string>();
      for (const macs of chunked([...new Set(rows.map((row) => row.mac))])) {
        const found = await db
          .selectFrom('machine_interfaces')
          .select(['mac', 'machine_id'])
          .where('mac', 'in', macs)
          .execute();
        for (const owner of found) owners.set(owner.mac, owner.machine_id);
      }
      const owned: Insertable<CapturedPacketsTable>[] = [];
      const unowned: number[] = [];
      for (const [index, row] of rows.entries()) {
        const machineId = owners.get(row.mac);
        if (machineId === undefined) unowned.push(index);
        else owned.push({ ...row, machine_id: machineId });
      }
      for (const values of chunked(owned)) await db.insertInto('captured_packets').values(values).execute();
      for (const machineIds of chunked([...new Set(owned.map((row) => row.machine_id))])) {
        await trim(db, machineIds, bound);
      }
      return unowned;
    });
  }

  async list(machineId: MachineId): Promise<readonly CapturedPacket[]> {
    const rows = await this.ctx.db
      .selectFrom('captured_packets')
      .selectAll()
      .where('machine_id', '=', machineId)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return decodeAll(rows, decodePacket, this.ctx.logger);
  }
}

/**
 * Drops the oldest packets of each machine beyond the bound: those past `bound.packets` counting from its newest,
 * or past `bound.bytes` of payload. Window functions (SQLite ≥ 3.25, PostgreSQL) count both per machine in one
 * pass over the rows of the machines just appended to.
 */
async function trim(db: Kysely<Database>, machineIds: readonly string[], bound: CaptureBound): Promise<void> {
  await sql`
    delete from captured_packets
    where id in (
      select id from (
        select id,
               row_number() over newest as newer,
               sum(length(payload)) over newest as octets
        from captured_packets
        where machine_id in (${sql.join(machineIds)})
        window newest as (partition by machine_id order by id desc)
      ) ranked
      where newer > ${bound.packets} or octets > ${bound.bytes}
    )`.execute(db);
}

function checkBound(bound: CaptureBound): void {
  checkInteger('bound.packets', bound.packets, 1, 1_000_000);
  checkInteger('bound.bytes', bound.bytes, 1, 1024 * 1024 * 1024);
}

function encodePacket(packet: NewCapturedPacket): CaptureRow {
  const { payload } = packet;
  if (!(payload instanceof Uint8Array)) throw new InvalidInputError('payload', 'must be bytes');
  return {
    at: checkEpochMs('at', packet.at),
    mac: checkCanonical('mac', packet.mac, parseMac),
    protocol: parsed('protocol', () => oneOf('capture protocol', packet.protocol, CAPTURE_PROTOCOLS)),
    direction: parsed('direction', () => oneOf('capture direction', packet.direction, CAPTURE_DIRECTIONS)),
    source_address: checkCanonical('source.address', packet.source.address, parseIpv4),
    source_port: checkInteger('source.port', packet.source.port, 0, 65_535),
    destination_address: checkCanonical('destination.address', packet.destination.address, parseIpv4),
    destination_port: checkInteger('destination.port', packet.destination.port, 0, 65_535),
    // Both drivers bind a Buffer as a blob / bytea; a view over the caller's bytes, not a copy.
    payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
    payload_length: checkInteger(
      'payloadLength',
      packet.payloadLength,
      payload.length,
      MAX_UDP_PAYLOAD_LENGTH,
    ),
  };
}

function decodePacket(row: Selectable<CapturedPacketsTable>): CapturedPacket {
  return decoded('captured_packets', String(row.id), () => {
    const address = (address: string, port: number): UdpAddress => ({
      address: canonical('IPv4 address', address, parseIpv4),
      port,
    });
    return {
      id: row.id,
      machineId: canonical('machine id', row.machine_id, parseMachineId),
      at: row.at,
      mac: canonical('MAC', row.mac, parseMac),
      protocol: oneOf('capture protocol', row.protocol, CAPTURE_PROTOCOLS),
      direction: oneOf('capture direction', row.direction, CAPTURE_DIRECTIONS),
      source: address(row.source_address, row.source_port),
      destination: address(row.destination_address, row.destination_port),
      // A copy that owns its memory: a driver's Buffer may be a view into a larger pooled one.
      payload: Uint8Array.from(row.payload),
      payloadLength: row.payload_length,
    };
  });
}
