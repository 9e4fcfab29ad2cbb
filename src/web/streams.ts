// The dashboard's live updates: the event log followed as Server-Sent Events (api/event-follow.ts), each message an
// HTML fragment for htmx's SSE extension to swap in by event name. The fleet stream sends the rows of machines that
// changed (`m-<id>`, which only that machine's row listens for) and the counts; a machine's stream sends its new
// timeline rows and its re-rendered summary (state, diagnosis, boot steps). A stream ends when its session does.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Follow, followEvents, lastEventId, sseMessage } from '../api/event-follow.js';
import type { MachineEvent } from '../inventory/event.js';
import { type Machine, type MachineId, parseMachineId } from '../inventory/machine.js';
import { type Dashboard, queryOf, signedIn } from './context.js';
import { html } from './html.js';
import { cacheLineOf, liveView, machineEvents, stateCounts } from './pages.js';
import type { Session } from './session.js';
import { countsLine, fleetRow, rowEvent } from './views/fleet.js';
import { machineLive } from './views/machine.js';
import { timelineRows } from './views/timeline.js';

/** Rows re-sent per batch at most; past it, a rack powering on would make every stream re-read the whole rack. */
const MAX_ROWS_PER_BATCH = 200;

/** Where a stream starts: after Last-Event-ID (a reconnect), else after the page's `after`, else after `fallback`. */
function startAfter(request: FastifyRequest, fallback: number): number | 'invalid' {
  const resumed = lastEventId(request.headers['last-event-id']);
  if (resumed !== undefined) return resumed;
  const after = queryOf(request).after;
  if (after === undefined) return fallback;
  return /^\d{1,15}$/.test(after) ? Number(after) : 'invalid';
}

/** Common refusals of a stream request; undefined when it may go on. */
async function refuse(
  dashboard: Dashboard,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<{ session: Session } | FastifyReply> {
  const session = await signedIn(dashboard, request);
  // EventSource reconnects by itself after an error; a 401 without a session page is what stops it.
  if (session === undefined) return reply.code(401).type('text/plain; charset=utf-8').send('sign in again\n');
  if (dashboard.streams.size >= dashboard.streamOptions.maxStreams) {
    return reply.code(503).type('text/plain; charset=utf-8').send('too many live views are open\n');
  }
  return { session };
}

/** Whether the session is still good; the stream ends when it is not. */
async function stillSignedIn(dashboard: Dashboard, session: Session): Promise<boolean> {
  return (
    dashboard.sessions.get(session.id) !== undefined &&
    (await dashboard.auth.fromHash(session.principal.tokenHash)) !== undefined
  );
}

export async function fleetStream(dashboard: Dashboard, request: FastifyRequest, reply: FastifyReply) {
  const allowed = await refuse(dashboard, request, reply);
  if (!('session' in allowed)) return allowed;
  const { session } = allowed;
  const cursor = startAfter(request, 0);
  if (cursor === 'invalid') return reply.code(400).send('after must be an event id\n');
  const summary = async () => {
    const counts = await stateCounts(dashboard);
    const cache = cacheLineOf(dashboard);
    return (
      sseMessage({ event: 'counts', data: countsLine(counts).text }) +
      (cache === undefined ? '' : sseMessage({ event: 'cache', data: html`Package cache: ${cache}`.text }))
    );
  };
  return follow(dashboard, reply, session, summary, {
    machineId: undefined,
    cursor,
    render: async (events) => {
      const ids = [...new Set(events.flatMap((e) => (e.machineId === null ? [] : [e.machineId])))];
      const machines = await Promise.all(
        ids.slice(-MAX_ROWS_PER_BATCH).map((id) => dashboard.store.inventory.get(id)),
      );
      const last = events.at(-1);
      const rows = machines
        .filter((m): m is Machine => m !== undefined)
        .map((m) => sseMessage({ event: rowEvent(m), data: fleetRow(m).text }))
        .join('');
      // The id goes on the last message of the batch: a reconnect resumes after the whole batch.
      return rows + (await summary()) + sseMessage({ id: last?.id ?? cursor, event: 'seen', data: '' });
    },
  });
}

export async function machineStream(dashboard: Dashboard, request: FastifyRequest, reply: FastifyReply) {
  const allowed = await refuse(dashboard, request, reply);
  if (!('session' in allowed)) return allowed;
  const { session } = allowed;
  let machineId: MachineId;
  try {
    machineId = parseMachineId((request.params as { id: string }).id);
  } catch {
    return reply.code(404).send('no such machine\n');
  }
  if ((await dashboard.store.inventory.get(machineId)) === undefined)
    return reply.code(404).send('no such machine\n');
  const cursor = startAfter(request, 0);
  if (cursor === 'invalid') return reply.code(400).send('after must be an event id\n');
  // The gap column of the first new row is measured from the last row the page has.
  const [shown] = await dashboard.store.events.list({
    machineId,
    order: 'desc',
    limit: 1,
    beforeId: cursor + 1,
  });
  let previousAt = shown?.at;
  const summary = async (): Promise<string> => {
    const machine = await dashboard.store.inventory.get(machineId);
    if (machine === undefined) return '';
    const { events } = await machineEvents(dashboard, machine);
    return sseMessage({
      event: 'summary',
      data: machineLive(liveView(dashboard, session, machine, events)).text,
    });
  };
  return follow(dashboard, reply, session, summary, {
    machineId,
    cursor,
    render: async (events: readonly MachineEvent[]) => {
      const rows = timelineRows(events, previousAt).text;
      previousAt = events.at(-1)?.at ?? previousAt;
      return sseMessage({ id: events.at(-1)?.id, event: 'timeline', data: rows }) + (await summary());
    },
  });
}

/**
 * Takes the response over and follows the event log into it. With each heartbeat the summary is sent again (a
 * diagnosis can appear with time alone: an answer file that never comes), unless the session has ended, which
 * ends the stream.
 */
function follow(
  dashboard: Dashboard,
  reply: FastifyReply,
  session: Session,
  summary: () => Promise<string>,
  what: Pick<Follow, 'machineId' | 'cursor' | 'render'>,
): FastifyReply {
  reply.hijack();
  followEvents(reply.raw, {
    store: dashboard.store,
    streams: dashboard.streams,
    options: dashboard.streamOptions,
    logger: dashboard.logger,
    ...what,
    onHeartbeat: async () => ((await stillSignedIn(dashboard, session)) ? summary() : false),
  });
  return reply;
}
