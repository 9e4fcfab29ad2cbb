import type { Static } from 'typebox';
import {
  EmptySchema,
  EventListSchema,
  type EventSchema,
  MachinePageSchema,
  MachineSchema,
  StatusSchema,
} from '../../api/schemas.js';
import { PCAP_MEDIA_TYPE } from '../../api/routes/capture.js';
import type { Labels } from '../../inventory/machine.js';
import { MAX_LOG_PAGE, MAX_PAGE_SIZE, type MachineFilter } from '../../store/types.js';
import type { MachineSource } from '../machines/select.js';
import type { MachineRecord } from '../machines/view.js';
import { type ApiClient, ApiCallError, type Query } from './api-client.js';

// The routes of /api/v1 the CLI calls, typed by the schemas the server answers with (src/api/schemas.ts).

/** The `q` of GET /machines is at most this long (MachineListQuerySchema); a prefix of a text still matches. */
const MAX_TEXT = 128;

export type ApiEvent = Static<typeof EventSchema>;

/** The API's machines as a MachineSource, so selections resolve through GET /machines (select.ts). */
export function apiMachines(client: ApiClient): MachineSource<MachineRecord> {
  return {
    byId: async (id) => {
      try {
        return await client.call(MachineSchema, 'GET', `/machines/${encodeURIComponent(id)}`);
      } catch (error) {
        if (error instanceof ApiCallError && error.status === 404) return undefined;
        throw error;
      }
    },
    page: (filter, cursor) =>
      client.call(MachinePageSchema, 'GET', '/machines', {
        query: { ...listQuery(filter), limit: MAX_PAGE_SIZE, cursor },
      }),
  };
}

function listQuery(filter: MachineFilter): Query {
  return {
    state: filter.states,
    label: labelQuery(filter.labels ?? {}),
    q: filter.text === undefined || filter.text === '' ? undefined : filter.text.slice(0, MAX_TEXT),
  };
}

export function labelQuery(labels: Labels): string[] | undefined {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  return pairs.length === 0 ? undefined : pairs;
}

const machinePath = (id: string, action = '') => `/machines/${encodeURIComponent(id)}${action}`;

/** The machine commands of the install lifecycle; the server audits each under the token's name. */
export const machineCalls = {
  assign: (client: ApiClient, id: string, profile: string | null) =>
    client.call(MachineSchema, 'PUT', machinePath(id, '/profile'), { body: { profile } }),
  mark: (client: ApiClient, id: string, reinstall: boolean, ttlMs: number | undefined) =>
    client.call(MachineSchema, 'POST', machinePath(id, reinstall ? '/reinstall' : '/install'), {
      body: ttlMs === undefined ? {} : { ttlMs },
    }),
  cancel: (client: ApiClient, id: string) =>
    client.call(MachineSchema, 'POST', machinePath(id, '/cancel'), { body: {} }),
  forget: (client: ApiClient, id: string) => client.call(EmptySchema, 'DELETE', machinePath(id)),
  get: (client: ApiClient, id: string) => client.call(MachineSchema, 'GET', machinePath(id)),
  capture: (client: ApiClient, id: string) => client.download(machinePath(id, '/capture'), PCAP_MEDIA_TYPE),
  setLabels: (client: ApiClient, id: string, labels: Labels, version: number) =>
    client.call(MachineSchema, 'PUT', machinePath(id, '/labels'), { body: { labels, version } }),
};

export function fetchStatus(client: ApiClient, labels: Labels) {
  return client.call(StatusSchema, 'GET', '/status', { query: { label: labelQuery(labels) } });
}

export interface EventRange {
  readonly machineId?: string | undefined;
  readonly since?: number | undefined;
  readonly afterId?: number | undefined;
  readonly beforeId?: number | undefined;
  readonly order?: 'asc' | 'desc';
  readonly limit?: number;
}

/** One page of the event log: of one machine (with its MAC's contacts before it was enrolled), or of the fleet. */
export async function fetchEvents(client: ApiClient, range: EventRange): Promise<readonly ApiEvent[]> {
  const { machineId, ...rest } = range;
  const query = { ...rest, limit: rest.limit ?? MAX_LOG_PAGE };
  const page =
    machineId === undefined
      ? await client.call(EventListSchema, 'GET', '/events', { query })
      : await client.call(EventListSchema, 'GET', machinePath(machineId, '/events'), { query });
  return page.items;
}
