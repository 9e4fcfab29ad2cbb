// Machines: list (filter, sort, keyset paging), show, labels. Commands that change the install state are in
// lifecycle.ts.
import { diagnose } from '../../inventory/diagnosis.js';
import { type Labels, type Machine, parseMachineId } from '../../inventory/machine.js';
import type { EpochMs } from '../../inventory/time.js';
import type { MachineListQuery as StoreListQuery, Store } from '../../store/types.js';
import { ApiError } from '../errors.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  LabelsBodySchema,
  MachineDetailSchema,
  MachineListQuerySchema,
  type MachineListQuery,
  MachinePageSchema,
  MachineParamsSchema,
  MachineSchema,
} from '../schemas.js';

/** Events a diagnosis reads: the latest few hundred hold the boot that stalled. */
export const DIAGNOSIS_EVENTS = 300;

export function machineRoutes(store: Store, now: () => EpochMs): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/machines',
      operationId: 'listMachines',
      summary: 'List machines, filtered, sorted and paged (follow nextCursor).',
      tag: 'machines',
      access: 'viewer',
      query: MachineListQuerySchema,
      response: MachinePageSchema,
      handler: async ({ query }) => store.inventory.list(storeQuery(query)),
    }),
    defineRoute({
      method: 'GET',
      url: '/machines/:id',
      operationId: 'getMachine',
      summary: 'One machine, with the likely cause of its boot stalling (`diagnosis`, null when none).',
      tag: 'machines',
      access: 'viewer',
      params: MachineParamsSchema,
      response: MachineDetailSchema,
      handler: async ({ params }) => {
        const machine = await store.inventory.get(parseMachineId(params.id));
        if (machine === undefined) throw machineNotFound(params.id);
        return { ...machine, diagnosis: (await machineDiagnosis(store, machine, now())) ?? null };
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/machines/:id/labels',
      operationId: 'setMachineLabels',
      summary: 'Replace the labels of a machine (optionally only if it is still at `version`).',
      tag: 'machines',
      access: 'operator',
      audit: { action: 'machine.labels', target: ({ params }) => params.id },
      params: MachineParamsSchema,
      body: LabelsBodySchema,
      response: MachineSchema,
      handler: async ({ params, body }) =>
        store.inventory.setLabels(
          parseMachineId(params.id),
          body.labels as Labels,
          body.version === undefined ? undefined : { version: body.version },
        ),
    }),
  ];
}

export function machineNotFound(id: string): ApiError {
  return new ApiError(
    'FLEETBOOT_MACHINE_NOT_FOUND',
    `no machine with id ${id}; GET /api/v1/machines lists the machines`,
  );
}

/** `key=value` pairs of a query (checked by its schema) as labels. */
export function labelsOf(pairs: readonly string[]): Labels {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

function storeQuery(query: MachineListQuery): StoreListQuery {
  const labels = labelsOf(query.label ?? []);
  const states = query.state;
  return {
    filter: {
      ...(states === undefined ? {} : { states }),
      ...(query.label === undefined ? {} : { labels }),
      ...(query.q === undefined || query.q === '' ? {} : { text: query.q }),
    },
    ...(query.sort === undefined && query.order === undefined
      ? {}
      : { sort: { by: query.sort ?? 'createdAt', direction: query.order ?? 'asc' } }),
    ...(query.limit === undefined ? {} : { limit: query.limit }),
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  };
}

/** The diagnosis of a machine from its latest events (inventory/diagnosis.ts), as the API and dashboard show it. */
export async function machineDiagnosis(store: Store, machine: Machine, now: EpochMs) {
  const latest = await store.events.list({ machineId: machine.id, order: 'desc', limit: DIAGNOSIS_EVENTS });
  return diagnose(machine, [...latest].reverse(), now);
}
