import type { Mac } from '../values/mac.js';
import type { BootClient, BootEntry, BootPlan } from './boot-plan.js';

/**
 * One entry of the boot table in the configuration (`tftp.bootConfigs`), restated here because boot/ does not
 * import config/ (eslint/layers.js); main.ts passes the configuration's value as is, so tsc keeps them in step.
 */
export type BootTableEntry =
  | {
      readonly action: 'linux';
      readonly label?: string;
      /** Relative to the TFTP root. */
      readonly kernel: string;
      readonly initrd: readonly string[];
      readonly append: string;
    }
  | { readonly action: 'local'; readonly label?: string };

/**
 * The stand-in for provisioning's decideBoot (issue 5) until profiles exist: an entry per MAC, and one for every
 * other client. Each MAC appears once (the configuration loader checks).
 */
export interface BootTable {
  readonly default?: BootTableEntry;
  readonly machines: readonly (BootTableEntry & { readonly mac: Mac })[];
}

/** A table with no entry at all: fleetboot generates no config file and leaves those names to the roots. */
export function isEmptyBootTable(table: BootTable): boolean {
  return table.default === undefined && table.machines.length === 0;
}

/** The plan the table gives a client: the entry of its MAC, else the default, else none. Pure. */
export function planFromTable(table: BootTable, client: BootClient): BootPlan | undefined {
  const own = client.mac === undefined ? undefined : table.machines.find((m) => m.mac === client.mac);
  const entry = own ?? table.default;
  if (entry === undefined) return undefined;
  const bootEntry = toBootEntry(entry);
  const who = client.mac ?? client.address;
  return { title: `fleetboot: ${who}: ${bootEntry.label}`, entries: [bootEntry], timeoutSeconds: 0 };
}

function toBootEntry(entry: BootTableEntry): BootEntry {
  switch (entry.action) {
    case 'local':
      return { kind: 'local', id: 'local', label: entry.label ?? 'Boot from local disk' };
    case 'linux':
      return {
        kind: 'linux',
        id: 'linux',
        label: entry.label ?? `Boot ${entry.kernel}`,
        kernel: entry.kernel,
        initrds: entry.initrd,
        args: entry.append,
      };
  }
}
