// Machines between domain values and rows.
import type { Selectable, Updateable } from 'kysely';
import {
  type InstallMark,
  type Labels,
  type Machine,
  MACHINE_STATES,
  MARK_ORIGINS,
  parseMachineId,
} from '../../inventory/machine.js';
import { parseIpv4 } from '../../values/ipv4.js';
import { type Mac, parseMac } from '../../values/mac.js';
import { parseUuid } from '../../values/uuid.js';
import { InvalidValueError } from '../../values/brand.js';
import { InvalidInputError } from '../errors.js';
import type { MachinesTable } from '../schema.js';
import type { MachinePatch } from '../types.js';
import { canonical, decoded, jsonArray, oneOf } from './decode.js';
import {
  checkCanonical,
  checkEpochMs,
  checkInteger,
  checkOptionalText,
  checkText,
  parsed,
} from './validate.js';

export type MachineRow = Selectable<MachinesTable>;
/** A machine row as selectMachines reads it, with its interfaces and labels as JSON text. */
export type MachineReadRow = MachineRow & { readonly macs: string | null; readonly labels: string | null };
type MarkColumns = Pick<
  MachinesTable,
  'mark_by' | 'mark_at' | 'mark_expires_at' | 'mark_token_hash' | 'mark_from'
>;

/** RFC 4578 §2.1: the architecture type is a 16-bit number. */
const ARCH_MAX = 0xffff;

export function decodeMachine(row: MachineReadRow): Machine {
  return decoded('machines', row.id, () => {
    const macs = jsonArray('interfaces', row.macs).map((mac) => {
      if (typeof mac !== 'string') throw new InvalidValueError('interface', '', 'a MAC');
      return canonical('MAC', mac, parseMac);
    });
    if (macs.length === 0) throw new InvalidValueError('machine', row.id, 'at least one interface');
    return {
      id: canonical('machine id', row.id, parseMachineId),
      macs,
      uuid: row.uuid === null ? null : canonical('UUID', row.uuid, parseUuid),
      arch: row.arch,
      vendorClass: row.vendor_class,
      hostname: row.hostname,
      labels: sortedLabels(jsonArray('labels', row.labels).map(labelEntry)),
      reservedIp: row.reserved_ip === null ? null : canonical('IPv4 address', row.reserved_ip, parseIpv4),
      profile: row.profile,
      state: oneOf('machine state', row.state, MACHINE_STATES),
      installMark: decodeMark(row),
      version: row.version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  });
}

function labelEntry(entry: unknown): [string, string] {
  if (!Array.isArray(entry) || entry.length !== 2 || !entry.every((part) => typeof part === 'string')) {
    throw new InvalidValueError('label', '', 'a key and a value');
  }
  return [entry[0] as string, entry[1] as string];
}

/** Labels in code-unit order of their keys, so both dialects produce the same object, key order included. */
export function sortedLabels(entries: readonly (readonly [string, string])[]): Labels {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function decodeMark(row: MarkColumns): InstallMark | null {
  const { mark_by: by, mark_at: at, mark_expires_at: expiresAt, mark_token_hash: tokenHash } = row;
  if (by === null && at === null && expiresAt === null && tokenHash === null) return null;
  if (by === null || at === null || expiresAt === null || tokenHash === null) {
    throw new InvalidValueError('install mark', 'partly empty', 'all of by, at, expiresAt and tokenHash');
  }
  const from = row.mark_from === null ? undefined : oneOf('install mark origin', row.mark_from, MARK_ORIGINS);
  return { by, at, expiresAt, tokenHash, ...(from === undefined ? {} : { from }) };
}

export function encodeMark(mark: InstallMark | null): MarkColumns {
  if (mark === null) {
    return { mark_by: null, mark_at: null, mark_expires_at: null, mark_token_hash: null, mark_from: null };
  }
  return {
    mark_by: checkText('installMark.by', mark.by),
    mark_at: checkEpochMs('installMark.at', mark.at),
    mark_expires_at: checkEpochMs('installMark.expiresAt', mark.expiresAt),
    mark_token_hash: checkText('installMark.tokenHash', mark.tokenHash),
    mark_from: encodeMarkOrigin(mark.from),
  };
}

function encodeMarkOrigin(from: InstallMark['from']): string | null {
  if (from === undefined) return null;
  return parsed('installMark.from', () => oneOf('install mark origin', from, MARK_ORIGINS));
}

/** The columns a patch changes, validated; absent fields are left out. */
export function encodePatch(patch: MachinePatch): Updateable<MachinesTable> {
  const row: Updateable<MachinesTable> = {};
  const { uuid, arch, reservedIp, state, installMark } = patch;
  if (uuid !== undefined) row.uuid = uuid === null ? null : checkCanonical('uuid', uuid, parseUuid);
  if (arch !== undefined) row.arch = arch === null ? null : checkInteger('arch', arch, 0, ARCH_MAX);
  if (patch.vendorClass !== undefined) row.vendor_class = checkOptionalText('vendorClass', patch.vendorClass);
  if (patch.hostname !== undefined) row.hostname = checkOptionalText('hostname', patch.hostname);
  if (reservedIp !== undefined) {
    row.reserved_ip = reservedIp === null ? null : checkCanonical('reservedIp', reservedIp, parseIpv4);
  }
  if (patch.profile !== undefined) row.profile = checkOptionalText('profile', patch.profile);
  if (state !== undefined) row.state = parsed('state', () => oneOf('machine state', state, MACHINE_STATES));
  if (installMark !== undefined) Object.assign(row, encodeMark(installMark));
  return row;
}

export function encodeMacs(field: string, macs: readonly Mac[]): Mac[] {
  if (macs.length === 0) throw new InvalidInputError(field, 'a machine needs at least one interface');
  const checked = macs.map((mac, i) => checkCanonical(`${field}[${i}]`, mac, parseMac));
  if (new Set(checked).size !== checked.length) throw new InvalidInputError(field, 'lists a MAC twice');
  return checked;
}

/** Checks labels as `unknown`: they come from API users, and a non-string value must not be stored as "[object]". */
export function encodeLabels(labels: unknown): [string, string][] {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new InvalidInputError('labels', 'must be an object of strings');
  }
  return Object.entries(labels as Record<string, unknown>).map(([key, value]) => [
    checkText('label key', key),
    checkText(`labels.${key}`, value, { allowEmpty: true }),
  ]);
}

export function encodeArch(arch: number | null | undefined): number | null {
  return arch === null || arch === undefined ? null : checkInteger('arch', arch, 0, ARCH_MAX);
}
