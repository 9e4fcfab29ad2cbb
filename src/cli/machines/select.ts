import type { Labels, Machine, MachineId, MachineState } from '../../inventory/machine.js';
import { MAX_PAGE_SIZE, type InventoryStore, type MachineFilter } from '../../store/types.js';
import { isMac, parseMac } from '../../values/mac.js';
import { parseUuid } from '../../values/uuid.js';

// Which machines a command acts on: named ones (id, MAC, host name or SMBIOS UUID), or every machine with the
// given labels and matching a pattern. A selection that names nothing is an error, never "all machines".

export interface Selection {
  /** Machine ids, MACs, host names or SMBIOS UUIDs. */
  readonly names: readonly string[];
  readonly labels: Labels;
  /** A shell-style pattern (`*`, `?`) matched, ignoring case, against host name, MACs, id and UUID. */
  readonly match?: string | undefined;
  readonly states?: readonly MachineState[] | undefined;
}

export class SelectionError extends Error {
  override readonly name = 'SelectionError';
}

/** Finds one machine by what an operator calls it. */
export async function findMachine(inventory: InventoryStore, name: string): Promise<Machine> {
  const uuid = tryParse(() => parseUuid(name));
  if (uuid !== undefined) {
    const byId = await inventory.get(uuid as string as MachineId);
    if (byId) return byId;
    const byUuid = await inventory.findByUuid(uuid);
    if (byUuid.length === 1 && byUuid[0]) return byUuid[0];
    if (byUuid.length > 1) {
      throw new SelectionError(
        `${name}: ${byUuid.length} machines share this SMBIOS UUID; name one by its id or MAC`,
      );
    }
  } else if (isMac(name)) {
    const byMac = await inventory.getByMac(parseMac(name));
    if (byMac) return byMac;
  } else {
    const wanted = name.toLowerCase();
    const found: Machine[] = [];
    // The store's text filter is a substring match over several fields: page through it for the exact name.
    for await (const machine of everyMachine(inventory, { text: name })) {
      if (machine.hostname?.toLowerCase() === wanted) found.push(machine);
    }
    if (found.length === 1 && found[0]) return found[0];
    if (found.length > 1) throw new SelectionError(`${name}: ${found.length} machines have this host name`);
  }
  throw new SelectionError(`${name}: no such machine (give its id, a MAC, its host name or its SMBIOS UUID)`);
}

/** The selected machines, each once, in the order named and then in inventory order. */
export async function selectMachines(inventory: InventoryStore, selection: Selection): Promise<Machine[]> {
  const bySelector = Object.keys(selection.labels).length > 0 || selection.match !== undefined;
  if (selection.names.length === 0 && !bySelector) {
    throw new SelectionError('no machine selected: name machines, or select them with --label or --match');
  }
  const chosen = new Map<MachineId, Machine>();
  for (const name of selection.names) {
    const machine = await findMachine(inventory, name);
    chosen.set(machine.id, machine);
  }
  if (bySelector) {
    const pattern = selection.match === undefined ? undefined : globPattern(selection.match);
    const filter = {
      labels: selection.labels,
      ...(selection.states === undefined ? {} : { states: selection.states }),
    };
    for await (const machine of everyMachine(inventory, filter)) {
      if (pattern === undefined || machineMatches(machine, pattern)) chosen.set(machine.id, machine);
    }
  }
  return [...chosen.values()];
}

async function* everyMachine(inventory: InventoryStore, filter: MachineFilter): AsyncGenerator<Machine> {
  let cursor: string | undefined;
  do {
    const page = await inventory.list({
      filter,
      limit: MAX_PAGE_SIZE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/** `node0*` → /^node0.*$/i; every other character is literal. */
export function globPattern(glob: string): RegExp {
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = glob
    .split('*')
    .map((part) => part.split('?').map(literal).join('.'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i');
}

function machineMatches(machine: Machine, pattern: RegExp): boolean {
  return [machine.hostname, machine.id, machine.uuid, ...machine.macs].some(
    (value) => value !== null && pattern.test(value),
  );
}

function tryParse<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}
