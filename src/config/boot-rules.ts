import Value from 'typebox/value';
import { parseBootPath } from '../values/boot-text.js';
import { parseMac } from '../values/mac.js';
import { type ConfigPath, formatPath } from './diagnostics.js';
import type { RuleProblem } from './rules.js';
import { BootEntrySchema, MachineBootEntrySchema, type RawBootEntry } from './schema.js';
import type { BootConfigEntry } from './types.js';

/**
 * `tftp.bootConfigs`: each entry boots a kernel or the local disk, never both or neither, and each MAC has one
 * entry. Entries that failed the schema already have their errors and are not looked at again.
 */
export function checkBootConfigs(bootConfigs: unknown): RuleProblem[] {
  if (typeof bootConfigs !== 'object' || bootConfigs === null) return [];
  const { default: fallback, machines } = bootConfigs as Record<string, unknown>;
  const at: ConfigPath = ['tftp', 'bootConfigs'];
  const problems: RuleProblem[] = [];
  if (Value.Check(BootEntrySchema, fallback)) problems.push(...checkEntry(fallback, [...at, 'default']));
  if (!Array.isArray(machines)) return problems;
  const seen = new Map<string, number>();
  machines.forEach((machine: unknown, index) => {
    if (!Value.Check(MachineBootEntrySchema, machine)) return;
    const path = [...at, 'machines', index];
    problems.push(...checkEntry(machine, path));
    const mac = parseMac(machine.mac);
    const first = seen.get(mac);
    if (first === undefined) seen.set(mac, index);
    else {
      problems.push({
        path: [...path, 'mac'],
        message: `${mac} already has an entry at ${formatPath([...at, 'machines', first])}`,
        hint: 'a machine boots one thing: remove one of the two',
      });
    }
  });
  return problems;
}

function checkEntry(entry: RawBootEntry, path: ConfigPath): RuleProblem[] {
  if (entry.localboot) {
    const extra = (['kernel', 'initrd', 'append'] as const).filter((key) =>
      key === 'kernel' ? entry.kernel !== undefined : entry[key].length > 0,
    );
    return extra.map((key) => ({
      path: [...path, key],
      at: [
        [...path, key],
        [...path, 'localboot'],
      ],
      message: `${key} has no meaning with localboot: true`,
      hint: 'an entry boots either the local disk or a kernel: remove one of them',
    }));
  }
  if (entry.kernel !== undefined) return [];
  return [
    {
      path: [...path, 'kernel'],
      at: [path],
      message: 'an entry needs a kernel, or localboot: true',
      hint: 'for example `kernel: debian-installer/amd64/linux`, or `localboot: true` to boot the local disk',
    },
  ];
}

/** An entry that passed the schema and checkBootConfigs, as the rest of fleetboot takes it. */
export function buildBootEntry(raw: RawBootEntry): BootConfigEntry {
  const label = raw.label === undefined ? {} : { label: raw.label };
  if (raw.localboot || raw.kernel === undefined) return { action: 'local', ...label };
  return {
    action: 'linux',
    ...label,
    kernel: parseBootPath(raw.kernel),
    initrd: raw.initrd.map(parseBootPath),
    append: raw.append,
  };
}
