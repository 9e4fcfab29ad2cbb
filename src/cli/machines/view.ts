import type { JsonObject } from '../../inventory/json.js';
import type { Machine } from '../../inventory/machine.js';

// How machines are printed. The install mark is shown with who and until when, never with its token hash: list
// and show output ends up in tickets and chat logs (guide: no secrets in list responses).

export function machineJson(machine: Machine): JsonObject {
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
export function machineTable(machines: readonly Machine[]): string {
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
export function machineDetails(machine: Machine): string {
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
  return lines.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${value}\n`).join('');
}

export function labelText(labels: Machine['labels']): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  return rows
    .map(
      (row) =>
        `${row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
