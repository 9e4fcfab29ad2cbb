import type { Labels, Machine, MachineId, MachineState } from '../../inventory/machine.js';
import { type InventoryStore, MAX_PAGE_SIZE, type MachineFilter } from '../../store/types.js';
import { isMac, parseMac } from '../../values/mac.js';
import { parseUuid } from '../../values/uuid.js';

// Which machines a command acts on: named ones (id, MAC, host name or SMBIOS UUID), or every machine with the
// given labels and matching a pattern. A selection that names nothing is an error, never "all machines".
//
// One resolution over a MachineSource: the API's (client/machines.ts) for every command that talks to a server,
// the store's for the few that run on the server itself (`machines render`).

/** What a selection reads of a machine. */
export interface MachineLike {
  readonly id: string;
  readonly hostname: string | null;
  readonly uuid: string | null;
  readonly macs: readonly string[];
}

/** Where machines are looked up: by id, and a page at a time through the list's filter. */
export interface MachineSource<M extends MachineLike> {
  byId(id: string): Promise<M | undefined>;
  /**
   * A page of machines matching `filter` in inventory order (`text`: a substring of host name, MAC, UUID and a
   * few more, ignoring case), and the cursor of the next page, null on the last.
   */
  page(
    filter: MachineFilter,
    cursor: string | undefined,
  ): Promise<{ items: readonly M[]; nextCursor: string | null }>;
}

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
export async function findMachine<M extends MachineLike>(source: MachineSource<M>, name: string): Promise<M> {
  const uuid = tryParse(() => parseUuid(name));
  if (uuid !== undefined) {
    const byId = await source.byId(uuid);
    if (byId) return byId;
    const byUuid = await collect(source, { text: uuid }, (m) => m.uuid === uuid);
    if (byUuid.length === 1 && byUuid[0]) return byUuid[0];
    if (byUuid.length > 1) {
      throw new SelectionError(
        `${name}: ${byUuid.length} machines share this SMBIOS UUID; name one by its id or MAC`,
      );
    }
  } else if (isMac(name)) {
    const mac = parseMac(name);
    const [byMac] = await collect(source, { text: mac }, (m) => m.macs.includes(mac));
    if (byMac) return byMac;
  } else {
    const wanted = name.toLowerCase();
    // The text filter is a substring match over several fields: page through it for the exact name.
    const found = await collect(source, { text: name }, (m) => m.hostname?.toLowerCase() === wanted);
    if (found.length === 1 && found[0]) return found[0];
    if (found.length > 1) throw new SelectionError(`${name}: ${found.length} machines have this host name`);
  }
  throw new SelectionError(`${name}: no such machine (give its id, a MAC, its host name or its SMBIOS UUID)`);
}

/** The selected machines, each once, in the order named and then in inventory order. */
export async function selectMachines<M extends MachineLike>(
  source: MachineSource<M>,
  selection: Selection,
): Promise<M[]> {
  const bySelector = Object.keys(selection.labels).length > 0 || selection.match !== undefined;
  if (selection.names.length === 0 && !bySelector) {
    throw new SelectionError('no machine selected: name machines, or select them with --label or --match');
  }
  const chosen = new Map<string, M>();
  for (const name of selection.names) {
    const machine = await findMachine(source, name);
    chosen.set(machine.id, machine);
  }
  if (bySelector) {
    const pattern = selection.match === undefined ? undefined : globPattern(selection.match);
    const filter = {
      labels: selection.labels,
      ...(selection.states === undefined ? {} : { states: selection.states }),
    };
    for await (const machine of everyMachine(source, filter)) {
      if (pattern === undefined || machineMatches(machine, pattern)) chosen.set(machine.id, machine);
    }
  }
  return [...chosen.values()];
}

/** Every machine the filter lets through, page by page (the largest pages the source gives). */
export async function* everyMachine<M extends MachineLike>(
  source: MachineSource<M>,
  filter: MachineFilter,
): AsyncGenerator<M> {
  let cursor: string | undefined;
  do {
    const page = await source.page(filter, cursor);
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

async function collect<M extends MachineLike>(
  source: MachineSource<M>,
  filter: MachineFilter,
  keep: (machine: M) => boolean,
): Promise<M[]> {
  const found: M[] = [];
  for await (const machine of everyMachine(source, filter)) if (keep(machine)) found.push(machine);
  return found;
}

/** The store as a MachineSource, for commands that run on the server against its store. */
export function storeMachines(inventory: InventoryStore): MachineSource<Machine> {
  return {
    byId: (id) => inventory.get(id as MachineId),
    page: (filter, cursor) =>
      inventory.list({ filter, limit: MAX_PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) }),
  };
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

function machineMatches(machine: MachineLike, pattern: RegExp): boolean {
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
