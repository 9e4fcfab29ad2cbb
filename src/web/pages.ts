// The dashboard's pages (GET): the fleet, a machine, a confirmation. Reading only; every change is a POST
// (actions.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DIAGNOSIS_EVENTS } from '../api/routes/machines.js';
import { bootProgress } from '../inventory/boot-timeline.js';
import { roleAllows } from '../inventory/api-token.js';
import { diagnose } from '../inventory/diagnosis.js';
import type { MachineEvent } from '../inventory/event.js';
import { type Machine, type MachineId, MACHINE_STATES, parseMachineId } from '../inventory/machine.js';
import { MACHINE_SORT_KEYS, type MachineSortKey, type MachineFilter } from '../store/types.js';
import { describeCacheSavings } from '../values/cache-savings.js';
import { isOneOf } from '../values/guards.js';
import { parseLabelPair } from '../values/label.js';
import { type Dashboard, queryOf, sendPage, signedIn, toLogin } from './context.js';
import { csrfField } from './layout.js';
import type { Session } from './session.js';
import { type FleetQuery, fleetPage, machineName, type StateCounts } from './views/fleet.js';
import { problemPage } from './views/login.js';
import {
  ACTION_TITLES,
  actionsFor,
  confirmPage,
  type MachineAction,
  MACHINE_ACTIONS,
  type MachineLive,
  machinePage,
} from './views/machine.js';

/** One page of the fleet: as many rows as the API's largest page. */
export const FLEET_PAGE_SIZE = 1000;

/** Runs `handler` for a signed-in session; sends anyone else to the login page. */
export function withSession(
  dashboard: Dashboard,
  handler: (session: Session, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>,
) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const session = await signedIn(dashboard, request);
    if (session === undefined) return toLogin(reply, request);
    return handler(session, request, reply);
  };
}

export function fleetQuery(raw: Readonly<Record<string, string | undefined>>): {
  query: FleetQuery;
  problem: string | undefined;
} {
  const state = raw.state;
  const sort = raw.sort;
  const query: FleetQuery = {
    q: (raw.q ?? '').slice(0, 128),
    state: state !== undefined && isOneOf(MACHINE_STATES, state) ? state : undefined,
    label: (raw.label ?? '').trim(),
    sort: sort !== undefined && isOneOf(MACHINE_SORT_KEYS, sort) ? sort : 'hostname',
    order: raw.order === 'desc' ? 'desc' : 'asc',
    cursor: raw.cursor,
  };
  let problem: string | undefined;
  if (state !== undefined && state !== '' && query.state === undefined)
    problem = `no state is called ${state}`;
  return { query, problem };
}

/** Machines per state, the whole fleet, in one query. */
export async function stateCounts(dashboard: Dashboard): Promise<StateCounts> {
  return dashboard.store.inventory.countByState();
}

export function cacheLineOf(dashboard: Dashboard): string | undefined {
  return dashboard.cacheSavings === undefined ? undefined : describeCacheSavings(dashboard.cacheSavings());
}

export async function fleet(
  dashboard: Dashboard,
  session: Session,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const parsed = fleetQuery(queryOf(request));
  const { query } = parsed;
  let problem = parsed.problem;
  const filter: { -readonly [K in keyof MachineFilter]: MachineFilter[K] } = {};
  if (query.q !== '') filter.text = query.q;
  if (query.state !== undefined) filter.states = [query.state];
  if (query.label !== '') {
    try {
      const [key, value] = parseLabelPair(query.label);
      filter.labels = { [key]: value };
    } catch (error) {
      problem = `label filter not used: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  const sort: { by: MachineSortKey; direction: 'asc' | 'desc' } = { by: query.sort, direction: query.order };
  const list = (cursor: string | undefined) =>
    dashboard.store.inventory.list({
      filter,
      sort,
      limit: FLEET_PAGE_SIZE,
      ...(cursor === undefined ? {} : { cursor }),
    });
  let pageOf;
  try {
    pageOf = await list(query.cursor);
  } catch (error) {
    // A cursor from another sort or a tampered one: the first page, and say so.
    if ((error as { code?: string }).code !== 'FLEETBOOT_INVALID_CURSOR') throw error;
    problem = 'that page link is no longer valid: showing the first page';
    pageOf = await list(undefined);
  }
  const [counts, latest] = await Promise.all([stateCounts(dashboard), latestEventId(dashboard)]);
  const body = fleetPage({
    query,
    machines: pageOf.items,
    total: pageOf.total,
    nextCursor: pageOf.nextCursor,
    counts,
    cacheLine: cacheLineOf(dashboard),
    problem,
    streamAfter: latest,
  });
  return sendPage(dashboard, reply, 'Fleet', body, { session });
}

async function latestEventId(dashboard: Dashboard, machineId?: MachineId): Promise<number> {
  const [newest] = await dashboard.store.events.list({
    order: 'desc',
    limit: 1,
    ...(machineId === undefined ? {} : { machineId }),
  });
  return newest?.id ?? 0;
}

/** The machine of a `:id` path; undefined when there is none, after sending the 404 page. */
export async function machineOfPath(
  dashboard: Dashboard,
  session: Session,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Machine | undefined> {
  const { id } = request.params as { id: string };
  let machine: Machine | undefined;
  try {
    machine = await dashboard.store.inventory.get(parseMachineId(id));
  } catch {
    machine = undefined; // not a machine id at all
  }
  if (machine !== undefined) return machine;
  sendPage(dashboard, reply, 'Not found', problemPage('No such machine', `no machine has the id ${id}`), {
    session,
    status: 404,
  });
  return undefined;
}

/** The latest events of a machine, oldest first, and whether older ones exist. */
export async function machineEvents(
  dashboard: Dashboard,
  machine: Machine,
): Promise<{ events: readonly MachineEvent[]; truncated: boolean }> {
  const latest = await dashboard.store.events.list({
    machineId: machine.id,
    order: 'desc',
    limit: DIAGNOSIS_EVENTS,
  });
  return { events: [...latest].reverse(), truncated: latest.length === DIAGNOSIS_EVENTS };
}

/** The live part of a machine page, from the machine and its latest events. */
export function liveView(
  dashboard: Dashboard,
  session: Session,
  machine: Machine,
  events: readonly MachineEvent[],
): MachineLive {
  return {
    machine,
    diagnosis: diagnose(machine, events, dashboard.now()),
    progress: bootProgress(events),
    canAct: roleAllows(session.principal.role, 'operator'),
    profiles: dashboard.config.profiles.map((p) => p.name),
  };
}

/** The capture route of the API, when this server has one (issue 6 item 5). */
export function captureRoute(dashboard: Dashboard) {
  return dashboard.apiRoutes.find((r) => r.method === 'GET' && r.url === '/machines/:id/capture');
}

export async function machine(
  dashboard: Dashboard,
  session: Session,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const found = await machineOfPath(dashboard, session, request, reply);
  if (found === undefined) return reply;
  const { events, truncated } = await machineEvents(dashboard, found);
  const operator = roleAllows(session.principal.role, 'operator');
  const file = queryOf(request).file;
  const capture = captureRoute(dashboard);
  const body = machinePage({
    ...liveView(dashboard, session, found, events),
    events,
    truncated,
    // The answer file shows how the fleet is built (disks, users, mirrors): for those who act on it.
    answer: operator ? await dashboard.previewAnswer(found, file === '' ? undefined : file) : undefined,
    captureUrl:
      capture !== undefined &&
      roleAllows(session.principal.role, capture.access === 'public' ? 'viewer' : capture.access)
        ? `/ui/machines/${found.id}/capture`
        : undefined,
    streamAfter: events.at(-1)?.id ?? (await latestEventId(dashboard, found.id)),
  });
  return sendPage(dashboard, reply, machineName(found), body, { session });
}

/** The confirmation page of an action; operators only (a viewer has no actions to confirm). */
export async function confirm(
  dashboard: Dashboard,
  session: Session,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const query = queryOf(request);
  const action = query.action;
  if (action === undefined || !isOneOf(MACHINE_ACTIONS, action)) {
    return sendPage(
      dashboard,
      reply,
      'Unknown action',
      problemPage('Unknown action', `no action is called ${action ?? ''}`),
      {
        session,
        status: 404,
      },
    );
  }
  try {
    await dashboard.auth.authorize(
      request,
      session.principal,
      'operator',
      `GET /ui/machines/:id/confirm ${action}`,
    );
  } catch (error) {
    return forbidden(dashboard, session, reply, error);
  }
  const found = await machineOfPath(dashboard, session, request, reply);
  if (found === undefined) return reply;
  const typed: MachineAction = action;
  if (!actionsFor(found).includes(typed)) {
    session.flash = {
      text: `${ACTION_TITLES[typed]} does not apply to a ${found.state} machine`,
      error: true,
    };
    return reply.redirect(`/ui/machines/${found.id}`, 303);
  }
  const profile = query.profile === undefined || query.profile === '' ? null : query.profile;
  const body = confirmPage({ machine: found, action: typed, profile, csrf: csrfField(session) });
  return sendPage(dashboard, reply, `${ACTION_TITLES[typed]}: ${machineName(found)}`, body, { session });
}

export function forbidden(
  dashboard: Dashboard,
  session: Session,
  reply: FastifyReply,
  error: unknown,
): FastifyReply {
  const message = error instanceof Error ? error.message : 'forbidden';
  return sendPage(dashboard, reply, 'Not allowed', problemPage('Not allowed', message), {
    session,
    status: 403,
  });
}
