// The event log (per machine and fleet-wide) and the audit log, read by time and id ranges.
import { parseMachineId } from '../../inventory/machine.js';
import { parseMac } from '../../values/mac.js';
import type { Store } from '../../store/types.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  AuditListSchema,
  AuditQuerySchema,
  EventListSchema,
  EventQuerySchema,
  MachineEventQuerySchema,
  MachineParamsSchema,
} from '../schemas.js';
import { machineNotFound } from './machines.js';

export function logRoutes(store: Store): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/events',
      operationId: 'listEvents',
      summary: 'Events of the whole fleet, or of one machine or MAC, by time and id range.',
      tag: 'events',
      access: 'viewer',
      query: EventQuerySchema,
      response: EventListSchema,
      handler: async ({ query }) => {
        const { machineId, mac, ...range } = query;
        const items = await store.events.list({
          ...range,
          ...(machineId === undefined ? {} : { machineId: parseMachineId(machineId) }),
          ...(mac === undefined ? {} : { mac: parseMac(mac) }),
        });
        return { items };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/machines/:id/events',
      operationId: 'listMachineEvents',
      summary: 'The timeline of one machine, including contacts from its MACs before it was enrolled.',
      tag: 'events',
      access: 'viewer',
      params: MachineParamsSchema,
      query: MachineEventQuerySchema,
      response: EventListSchema,
      handler: async ({ params, query }) => {
        const id = parseMachineId(params.id);
        if ((await store.inventory.get(id)) === undefined) throw machineNotFound(id);
        return { items: await store.events.list({ ...query, machineId: id }) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/audit',
      operationId: 'listAudit',
      summary: 'The audit log: who did what, when, from where, and how it ended.',
      tag: 'audit',
      // Token names and client addresses are for those who act on the fleet, not for every viewer.
      access: 'operator',
      query: AuditQuerySchema,
      response: AuditListSchema,
      handler: async ({ query }) => ({ items: await store.audit.list(query) }),
    }),
  ];
}
