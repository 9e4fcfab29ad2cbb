import type { Static } from 'typebox';
import type { Out } from '../../api/route.js';
import type { MachineSchema } from '../../api/schemas.js';
import type { JsonObject } from '../../inventory/json.js';

// How machines are printed. The install mark is shown with who and until when, never with its token hash: list
// and show output ends up in tickets and chat logs (guide: no secrets in list responses). Text a machine sent
// about itself (host name, vendor class over DHCP) is printed with its control characters escaped, so a client
// cannot write escape sequences into an operator's terminal.

/** A machine as the API sends it; the store's Machine is one too. */
export type MachineRecord = Out<Static<typeof MachineSchema>>;

export function machineJson(machine: MachineRecord): JsonObject {
  const mark = machine.installMark;
  return {
    id: machine.id,
    hostname: machine.hostname,
    macs: [...machine.macs],
    uuid: machine.uuid,
    arch: machine.arch,
    vendorClass: machine.vendorClass,
    labels: { ...machine.labels },
    reservedIp: machine.reservedIp,
    profile: machine.profile,
    state: machine.state,
    installMark: mark === null ? null : { by: mark.by, at: iso(mark.at), expiresAt: iso(mark.expiresAt) },
    version: machine.version,
    createdAt: iso(machine.createdAt),
    updatedAt: iso(machine.updatedAt),
  };
}

const COLUMNS = ['ID', 'HOSTNAME', 'MAC', 'STATE', 'PROFILE', 'LABELS', 'MARK EXPIRES'] as const;

/** A table, one machine a line, columns padded to their widest cell. */
export function machineTable(machines: readonly MachineRecord[]): string {
  const rows = machines.map((m) => [
    m.id,
    m.hostname ?? '-',
    m.macs.join(','),
    m.state,
    m.profile ?? '-',
    labelText(m.labels) || '-',
    m.installMark ? iso(m.installMark.expiresAt) : '-',
  ]);
  return table([[...COLUMNS], ...rows]);
}

/** `key: value` lines for one machine. */
export function machineDetails(machine: MachineRecord): string {
  const mark = machine.installMark;
  const lines: [string, string][] = [
    ['id', machine.id],
    ['hostname', machine.hostname ?? '-'],
    ['macs', machine.macs.join(', ')],
    ['uuid', machine.uuid ?? '-'],
    ['arch', machine.arch === null ? '-' : String(machine.arch)],
    ['vendor class', machine.vendorClass ?? '-'],
    ['labels', labelText(machine.labels) || '-'],
    ['reserved ip', machine.reservedIp ?? '-'],
    ['profile', machine.profile ?? '-'],
    ['state', machine.state],
    ['install mark', mark ? `by ${mark.by} at ${iso(mark.at)}, expires ${iso(mark.expiresAt)}` : '-'],
    ['created', iso(machine.createdAt)],
    ['updated', iso(machine.updatedAt)],
  ];
  const width = Math.max(...lines.map(([key]) => key.length));
  return lines.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${printable(value)}\n`).join('');
}

/** `node01 (52:54:00:12:34:56)`, or the MAC alone for a machine without a host name. */
export function machineName(machine: MachineRecord): string {
  const mac = machine.macs[0] ?? machine.id;
  return printable(machine.hostname === null ? mac : `${machine.hostname} (${mac})`);
}

export function labelText(labels: MachineRecord['labels']): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Text with C0 and C1 controls, DEL and line separators as `\u001b`: one line, no terminal escape sequences. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function table(rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => row.map(printable));
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0))) ?? [];
  return cells
    .map(
      (row) =>
        `${row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
