// The event log as a Server-Sent Events stream (issue 6, item 1): each event once, in id order, as `id:` + JSON.
// A client that reconnects sends Last-Event-ID (browsers' EventSource do by themselves) and misses nothing: the
// log's ids only grow and an append is visible only once every smaller id is (store/adapter.ts appendInOrder).
import type { ServerResponse } from 'node:http';
import { parseMachineId, type MachineId } from '../../inventory/machine.js';
import type { Logger } from '../../observability/logger.js';
import type { Store } from '../../store/types.js';
import { ApiError } from '../errors.js';
import { defineRoute, HIJACKED, type AnyRoute } from '../route.js';
import { EventStreamQuerySchema } from '../schemas.js';
import Type from 'typebox';

export interface EventStreamOptions {
  /**
   * How often a stream asks the store for new events it was not told of: this server's own appends wake every
   * stream at once (Store.onEventsAppended); polling finds those of other servers sharing the database.
   */
  readonly pollMs: number;
  /** A comment line this often keeps proxies and NAT from dropping an idle stream. */
  readonly heartbeatMs: number;
  /** Streams open at once; each costs one query per poll. */
  readonly maxStreams: number;
}

export const DEFAULT_EVENT_STREAM: EventStreamOptions = { pollMs: 1000, heartbeatMs: 15_000, maxStreams: 64 };

/** Events per query; a stream behind by more reads again at once. */
const BATCH = 500;

/** The least time between two reads of one stream that appends (not its poll) asked for. */
const WAKE_GAP_MS = 50;

/** The open streams, so a closing server ends them (an open response would hold fastify.close forever). */
export class EventStreams {
  private readonly open = new Set<() => void>();

  get size(): number {
    return this.open.size;
  }

  add(stop: () => void): () => void {
    this.open.add(stop);
    return () => this.open.delete(stop);
  }

  closeAll(): void {
    for (const stop of [...this.open]) stop();
  }
}

export function eventStreamRoutes(
  store: Store,
  streams: EventStreams,
  options: EventStreamOptions,
  logger: Logger,
): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/events/stream',
      operationId: 'streamEvents',
      summary:
        'Follow the event log as Server-Sent Events (`id:` is the event id, `data:` the event as JSON). ' +
        'Resumes after Last-Event-ID or `afterId`; without either, starts with the next event.',
      tag: 'events',
      access: 'viewer',
      query: EventStreamQuerySchema,
      response: Type.String(),
      produces: 'text/event-stream',
      handler: async ({ query, request, reply }) => {
        if (streams.size >= options.maxStreams) {
          throw new ApiError(
            'FLEETBOOT_STREAMS_EXHAUSTED',
            `${options.maxStreams} event streams are open already; close one or poll GET /api/v1/events`,
          );
        }
        const machineId = query.machineId === undefined ? undefined : parseMachineId(query.machineId);
        const resume = lastEventId(request.headers['last-event-id']) ?? query.afterId;
        const cursor = resume ?? (await latestId(store, machineId));
        reply.hijack();
        follow(reply.raw, { store, streams, options, logger, machineId, cursor });
        return HIJACKED;
      },
    }),
  ];
}

/** The Last-Event-ID header as an id; a malformed one is a client error, not a silent restart from now. */
function lastEventId(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || !/^\d{1,15}$/.test(text)) {
    throw new ApiError('FLEETBOOT_INVALID_REQUEST', 'Last-Event-ID must be the id of an event (digits)');
  }
  return Number(text);
}

async function latestId(store: Store, machineId: MachineId | undefined): Promise<number> {
  const [newest] = await store.events.list({ order: 'desc', limit: 1, ...(machineId ? { machineId } : {}) });
  return newest?.id ?? 0;
}

interface Follower {
  readonly store: Store;
  readonly streams: EventStreams;
  readonly options: EventStreamOptions;
  readonly logger: Logger;
  readonly machineId: MachineId | undefined;
  cursor: number;
}

function follow(res: ServerResponse, follower: Follower): void {
  const { store, options, machineId } = follower;
  let stopped = false;
  let failing = false;
  /** The next read: when it is due, and its timer. */
  let next: { at: number; timer: NodeJS.Timeout } | undefined;
  /** A read is running; `again` asks for another as soon as it ends (an append was announced meanwhile). */
  let reading = false;
  let again = false;
  let lastReadAt = 0;
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), options.heartbeatMs);

  const schedule = (delayMs: number): void => {
    const at = Date.now() + delayMs;
    if (stopped || (next !== undefined && next.at <= at)) return;
    clearTimeout(next?.timer);
    next = { at, timer: setTimeout(() => void read(), delayMs) };
  };
  const read = async (): Promise<void> => {
    next = undefined;
    reading = true;
    lastReadAt = Date.now();
    let full = false;
    try {
      const events = await store.events.list({
        afterId: follower.cursor,
        limit: BATCH,
        ...(machineId === undefined ? {} : { machineId }),
      });
      if (stopped) return;
      for (const event of events) {
        res.write(`id: ${event.id}\nevent: machine-event\ndata: ${JSON.stringify(event)}\n\n`);
        follower.cursor = event.id;
      }
      full = events.length === BATCH;
      failing = false;
    } catch (error) {
      // The store comes back by itself; the stream waits for it rather than ending (the client would reconnect
      // into the same outage). Logged once per outage.
      if (!failing) follower.logger.warn({ err: error }, 'event stream cannot read the event log; retrying');
      failing = true;
    } finally {
      reading = false;
    }
    schedule(full ? 0 : again ? WAKE_GAP_MS : options.pollMs);
    again = false;
  };
  // This server's appends are read at once rather than at the next poll, so `fleetboot events --follow` and the
  // dashboard show them within milliseconds (issue 6: under a second). At most one read per WAKE_GAP_MS per
  // stream, however fast events arrive: a DHCP storm must not turn into a query per event per stream.
  const unsubscribe = store.onEventsAppended(() => {
    if (reading) again = true;
    else schedule(Math.max(0, lastReadAt + WAKE_GAP_MS - Date.now()));
  });
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(next?.timer);
    clearInterval(heartbeat);
    unregister();
    unsubscribe();
    res.end();
  };
  const unregister = follower.streams.add(stop);
  res.on('close', stop);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    // Tells nginx-like proxies not to buffer the stream.
    'x-accel-buffering': 'no',
  });
  res.write(`retry: ${Math.max(options.pollMs, 1000)}\n\n`);
  schedule(0);
}
