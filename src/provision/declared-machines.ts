import type { DeclaredMachine } from '../config/types.js';
import type { Labels, Machine, MachineId } from '../inventory/machine.js';
import { MARKED_STATES } from '../inventory/machine.js';
import type { JsonObject } from '../inventory/json.js';
import type { EpochMs } from '../inventory/time.js';
import { StoreError } from '../store/errors.js';
import type { MachinePatch, Store } from '../store/types.js';

// `machines:` of fleetboot.yaml, brought into the inventory at start (issue 5 item 3). The config says what a
// machine is (MACs, UUID, host name, labels, reserved address, profile); the inventory says where it is in its
// lifecycle, and that is never moved backwards here: a declared machine that is installing stays installing.

export interface SyncReport {
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  /** One line per machine that could not be brought in line, naming it; the others are done regardless. */
  readonly problems: readonly string[];
}

/** What the sync needs from the lifecycle: the profile goes through assign, so its event and audit are the usual. */
export interface SyncDependencies {
  readonly store: Pick<Store, 'inventory' | 'events' | 'audit'>;
  readonly now: () => EpochMs;
  readonly assign: (id: MachineId, profile: string) => Promise<Machine>;
  /** Who the audit entries name: the config file at start, the operator for `fleetboot machines import`. */
  readonly actor: string;
}

export const CONFIG_ACTOR = 'fleetboot.yaml';

export async function syncDeclaredMachines(
  declared: readonly DeclaredMachine[],
  deps: SyncDependencies,
): Promise<SyncReport> {
  let created = 0;
  let updated = 0;
  let unchanged = 0;
  const problems: string[] = [];
  for (const entry of declared) {
    const name = entry.hostname ?? entry.macs[0] ?? '?';
    try {
      const outcome = await syncOne(entry, deps);
      if (outcome === 'created') created++;
      else if (outcome === 'updated') updated++;
      else unchanged++;
    } catch (error) {
      if (!(error instanceof StoreError) && !(error instanceof SyncProblem)) throw error;
      problems.push(`machine ${name}: ${error.message}`);
    }
  }
  return { created, updated, unchanged, problems };
}

class SyncProblem extends Error {}

async function syncOne(
  entry: DeclaredMachine,
  deps: SyncDependencies,
): Promise<'created' | 'updated' | 'unchanged'> {
  const { inventory } = deps.store;
  const owners = new Map<MachineId, Machine>();
  for (const mac of entry.macs) {
    const owner = await inventory.getByMac(mac);
    if (owner) owners.set(owner.id, owner);
  }
  if (owners.size > 1) {
    throw new SyncProblem(
      `its MACs belong to ${owners.size} machines in the inventory (${[...owners.keys()].join(', ')}); ` +
        'forget all but one (fleetboot machines forget) and restart',
    );
  }
  let machine = [...owners.values()][0];
  const isNew = machine === undefined;
  if (machine === undefined) {
    const [first] = entry.macs;
    if (first === undefined) throw new SyncProblem('no MAC');
    machine = (await inventory.recordContact({ mac: first, uuid: entry.uuid ?? null })).machine;
  }
  const patch = fieldPatch(machine, entry);
  const changes: string[] = Object.keys(patch);
  if (changes.length > 0) machine = await inventory.update(machine.id, patch, { version: machine.version });
  const labels: Labels = { ...machine.labels, ...entry.labels };
  if (!sameLabels(labels, machine.labels)) {
    machine = await inventory.setLabels(machine.id, labels, { version: machine.version });
    changes.push('labels');
  }
  if (changes.length > 0 || isNew) {
    const at = deps.now();
    const details: JsonObject = { changed: changes };
    await deps.store.events.append({
      at,
      machineId: machine.id,
      mac: machine.macs[0] ?? null,
      source: 'lifecycle',
      kind: isNew ? 'machine declared' : 'machine updated from config',
      details,
    });
    await deps.store.audit.append({
      at,
      actor: deps.actor,
      action: 'machine.declare',
      target: machine.id,
      outcome: 'ok',
      details,
    });
  }
  const profile = entry.profile;
  const profileChanged = profile !== undefined && profile !== machine.profile;
  if (profileChanged) {
    if (MARKED_STATES.includes(machine.state)) {
      throw new SyncProblem(
        `is ${machine.state}: its profile stays ${machine.profile ?? 'unset'} until the install ends`,
      );
    }
    await deps.assign(machine.id, profile);
  }
  return isNew ? 'created' : changes.length > 0 || profileChanged ? 'updated' : 'unchanged';
}

/** The declared values that differ from the stored ones; values not declared are left as they are. */
function fieldPatch(machine: Machine, entry: DeclaredMachine): MachinePatch {
  // The declared MACs first (the first is the boot interface), then any others the machine was seen with.
  const macs = [...entry.macs, ...machine.macs.filter((mac) => !entry.macs.includes(mac))];
  return {
    ...(macs.join() === machine.macs.join() ? {} : { macs }),
    ...(entry.uuid === undefined || entry.uuid === machine.uuid ? {} : { uuid: entry.uuid }),
    ...(entry.hostname === undefined || entry.hostname === machine.hostname
      ? {}
      : { hostname: entry.hostname }),
    ...(entry.reservedIp === undefined || entry.reservedIp === machine.reservedIp
      ? {}
      : { reservedIp: entry.reservedIp }),
  };
}

function sameLabels(a: Labels, b: Labels): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
