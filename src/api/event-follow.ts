// Following the event log as Server-Sent Events (WHATWG HTML §9.2): the loop the API's JSON stream and the
// dashboard's HTML streams share. Each event is read once, in id order: the log's ids only grow and an append is
// visible only once every smaller id is (store/adapter.ts appendInOrder), so "after id" never skips one, and a
// client that reconnects with Last-Event-ID misses nothing.
import type { ServerResponse } from 'node:http';
import type { MachineEvent } from '../inventory/event.js';
import type { MachineId } from '../inventory/machine.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/types.js';

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

/** One SSE message. Every line of `data` gets its own `data:` field, so a newline cannot end the message early. */
export function sseMessage(message: { id?: number | undefined; event?: string; data: string }): string {
  const id = message.id === undefined ? '' : `id: ${String(message.id)}\n`;
  const event = message.event === undefined ? '' : `event: ${message.event}\n`;
  const data = message.data
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');
  return `${id}${event}${data}\n`;
}

/** The Last-Event-ID header as an id: undefined when absent, 'invalid' when it is not one. */
export function lastEventId(header: string | string[] | undefined): number | 'invalid' | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || !/^\d{1,15}$/.test(text)) return 'invalid';
  return Number(text);
}

/** The id of the newest event (of one machine), where a stream without a resume point starts. */
export async function latestEventId(store: Store, machineId: MachineId | undefined): Promise<number> {
  const [newest] = await store.events.list({ order: 'desc', limit: 1, ...(machineId ? { machineId } : {}) });
  return newest?.id ?? 0;
}

export interface Follow {
  readonly store: Store;
  readonly streams: EventStreams;
  readonly options: EventStreamOptions;
  readonly logger: Logger;
  readonly machineId: MachineId | undefined;
  /** Start after this id. */
  readonly cursor: number;
  /** The SSE text for a batch of new events, in id order (each message should carry its event's `id:`). */
  readonly render: (events: readonly MachineEvent[]) => Promise<string> | string;
  /**
   * Also written with each heartbeat (what changes with time alone, e.g. a diagnosis that waits for a deadline);
   * false ends the stream (a dashboard session that expired).
   */
  readonly onHeartbeat?: () => Promise<string | false>;
}

/** Takes over `res`: writes the stream's headers, then the events as they are appended, until either side ends. */
export function followEvents(res: ServerResponse, follow: Follow): void {
  const { store, options, machineId } = follow;
  let cursor = follow.cursor;
  let stopped = false;
  let failing = false;
  /** The next read: when it is due, and its timer. */
  let next: { at: number; timer: NodeJS.Timeout } | undefined;
  /** A read is running; `again` asks for another as soon as it ends (an append was announced meanwhile). */
  let reading = false;
  let again = false;
  let lastReadAt = 0;
  /**
   * The client has not taken what was written (res.write returned false): no read until the socket drains, or a
   * viewer that never reads would have the whole event log queued in this response's buffer.
   */
  let blocked = false;
  const heartbeat = setInterval(() => {
    void (async () => {
      const extra = follow.onHeartbeat === undefined ? '' : await follow.onHeartbeat().catch(() => '');
      if (extra === false) stop();
      else if (!stopped) res.write(`: keep-alive\n\n${extra}`);
    })();
  }, options.heartbeatMs);

  const schedule = (delayMs: number): void => {
    const at = Date.now() + delayMs;
    if (stopped || blocked || (next !== undefined && next.at <= at)) return;
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
        afterId: cursor,
        limit: BATCH,
        ...(machineId === undefined ? {} : { machineId }),
      });
      const text = events.length === 0 ? '' : await follow.render(events);
      if (stopped) return;
      if (!res.write(text)) {
        blocked = true;
        res.once('drain', () => {
          blocked = false;
          schedule(0);
        });
      }
      cursor = events.at(-1)?.id ?? cursor;
      full = events.length === BATCH;
      failing = false;
    } catch (error) {
      // The store comes back by itself; the stream waits for it rather than ending (the client would reconnect
      // into the same outage). Logged once per outage.
      if (!failing) follow.logger.warn({ err: error }, 'event stream cannot read the event log; retrying');
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
  const unregister = follow.streams.add(stop);
  res.on('close', stop);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    // Tells nginx-like proxies not to buffer the stream.
    'x-accel-buffering': 'no',
  });
  res.write(`retry: ${String(Math.max(options.pollMs, 1000))}\n\n`);
  schedule(0);
}
