// Events and audit entries between domain values and rows.
import type { Insertable, Selectable } from 'kysely';
import { AUDIT_OUTCOMES, type AuditEntry, type NewAuditEntry } from '../../inventory/audit.js';
import { EVENT_SOURCES, type MachineEvent, type NewMachineEvent } from '../../inventory/event.js';
import { parseMachineId } from '../../inventory/machine.js';
import { InvalidValueError } from '../../values/brand.js';
import { parseMac } from '../../values/mac.js';
import { InvalidInputError } from '../errors.js';
import type { AuditLogTable, EventsTable } from '../schema.js';
import { canonical, decoded, jsonObject, oneOf } from './decode.js';
import { checkCanonical, checkEpochMs, checkOptionalText, checkText, jsonText, parsed } from './validate.js';

export function encodeEvent(event: NewMachineEvent, now: number): Insertable<EventsTable> {
  const { machineId, mac } = event;
  if ((machineId ?? null) === null && (mac ?? null) === null) {
    throw new InvalidInputError('event', 'needs a machineId or a MAC');
  }
  return {
    at: checkEpochMs('at', event.at ?? now),
    machine_id:
      machineId === null || machineId === undefined
        ? null
        : checkCanonical('machineId', machineId, parseMachineId),
    mac: mac === null || mac === undefined ? null : checkCanonical('mac', mac, parseMac),
    source: parsed('source', () => oneOf('event source', event.source, EVENT_SOURCES)),
    kind: checkText('kind', event.kind),
    details: jsonText('details', event.details),
  };
}

export function decodeEvent(row: Selectable<EventsTable>): MachineEvent {
  return decoded('events', String(row.id), () => {
    if (row.machine_id === null && row.mac === null) {
      throw new InvalidValueError('event', String(row.id), 'a machine id or a MAC');
    }
    return {
      id: row.id,
      at: row.at,
      machineId: row.machine_id === null ? null : canonical('machine id', row.machine_id, parseMachineId),
      mac: row.mac === null ? null : canonical('MAC', row.mac, parseMac),
      source: oneOf('event source', row.source, EVENT_SOURCES),
      kind: row.kind,
      details: jsonObject(row.details),
    };
  });
}

export function encodeAudit(entry: NewAuditEntry, now: number): Insertable<AuditLogTable> {
  return {
    at: checkEpochMs('at', entry.at ?? now),
    actor: checkText('actor', entry.actor),
    action: checkText('action', entry.action),
    target: checkText('target', entry.target, { allowEmpty: true }),
    remote_address: checkOptionalText('remoteAddress', entry.remoteAddress),
    outcome: parsed('outcome', () => oneOf('audit outcome', entry.outcome, AUDIT_OUTCOMES)),
    details: jsonText('details', entry.details),
  };
}

export function decodeAudit(row: Selectable<AuditLogTable>): AuditEntry {
  return decoded('audit_log', String(row.id), () => ({
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    remoteAddress: row.remote_address,
    outcome: oneOf('audit outcome', row.outcome, AUDIT_OUTCOMES),
    details: jsonObject(row.details),
  }));
}
