import { setTimeout as sleep } from 'node:timers/promises';
import { Compile } from 'typebox/compile';
import { EventSchema } from '../../api/schemas.js';
import { type ApiClient, ApiCallError, UnreachableError } from './api-client.js';
import type { ApiEvent } from './machines.js';
import { SseParser } from './sse.js';

// Following GET /api/v1/events/stream (docs/api.md "Following events"): each event once, in id order. A lost
// connection is opened again with Last-Event-ID, so nothing is missed or repeated; after `maxRetries` failures in a
// row it gives up. A stream that stays silent past `idleMs` (the server sends a comment every 15 s) counts as lost.

export interface FollowOptions {
  readonly machineId?: string | undefined;
  /** Start after this event id. */
  readonly afterId: number;
  readonly signal: AbortSignal;
  /** Failed connections in a row before giving up. */
  readonly maxRetries?: number;
  readonly idleMs?: number;
  /** Connected; `again` after a reconnect. */
  readonly onConnect?: (again: boolean) => void;
  /** About to retry, after `delayMs`. */
  readonly onRetry?: (attempt: number, delayMs: number, reason: string) => void;
  /**
   * An event this client cannot read (malformed, or of a shape a newer server sends) was passed over: reading it
   * again after a reconnect would fail again, and stop everything after it from being shown.
   */
  readonly onSkipped?: (id: number, reason: string) => void;
}

export const DEFAULT_RETRIES = 10;
const DEFAULT_IDLE_MS = 60_000;
const MAX_DELAY_MS = 30_000;
/** A server's `retry:` below this is raised to it: a reconnect loop must not spin. */
const MIN_DELAY_MS = 250;
const checkEvent = Compile(EventSchema);

/** The events after `afterId`, as they are appended, until `signal` aborts (then it simply ends). */
export async function* followEvents(client: ApiClient, options: FollowOptions): AsyncGenerator<ApiEvent> {
  const { signal } = options;
  const stopped = () => signal.aborted;
  const maxRetries = options.maxRetries ?? DEFAULT_RETRIES;
  let cursor = options.afterId;
  let failures = 0;
  let connected = false;
  let baseDelayMs = 1000;
  while (!signal.aborted) {
    const connection = new AbortController();
    const linked = AbortSignal.any([signal, connection.signal]);
    let reason = 'the server ended the stream';
    let idle: NodeJS.Timeout | undefined;
    const watch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        connection.abort(new UnreachableError('the stream was silent for too long'));
      }, options.idleMs ?? DEFAULT_IDLE_MS);
    };
    try {
      const response = await client.open(
        '/events/stream',
        { machineId: options.machineId },
        { accept: 'text/event-stream', 'last-event-id': String(cursor) },
        linked,
      );
      options.onConnect?.(connected);
      connected = true;
      const parser = new SseParser();
      const decoder = new TextDecoder();
      watch();
      if (response.body === null) throw new UnreachableError('the stream has no body');
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        watch();
        // Anything that arrived is a working connection: the retry count starts over.
        failures = 0;
        for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
          const event = readEvent(message.data);
          if (typeof event === 'string') {
            // Passed over, and the cursor moves past it, so the next connection does not start with it again.
            const id = Number(message.id);
            if (Number.isSafeInteger(id) && id > cursor) {
              cursor = id;
              options.onSkipped?.(id, event);
            }
            continue;
          }
          if (event.id <= cursor) continue;
          cursor = event.id;
          yield event;
        }
        baseDelayMs = Math.max(parser.retryMs ?? baseDelayMs, MIN_DELAY_MS);
      }
    } catch (error) {
      if (stopped()) return;
      // Refusals are final (a revoked token stays revoked); 503 (too many streams, the store down) passes.
      if (error instanceof ApiCallError && error.status !== 503) throw error;
      reason = describe(connection.signal.aborted ? connection.signal.reason : error);
    } finally {
      clearTimeout(idle);
      connection.abort();
    }
    failures++;
    if (failures > maxRetries) {
      throw new UnreachableError(`lost the event stream ${maxRetries} times in a row (${reason}); giving up`);
    }
    const delayMs = Math.min(baseDelayMs * 2 ** (failures - 1), MAX_DELAY_MS);
    options.onRetry?.(failures, delayMs, reason);
    try {
      await sleep(delayMs, undefined, { signal });
    } catch {
      return; // stopped while waiting
    }
  }
}

/** The event in a message's data, or why it cannot be read. */
function readEvent(data: string): ApiEvent | string {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return 'its data is not JSON';
  }
  return checkEvent.Check(event) ? event : 'it has a shape this fleetboot does not know (a newer server?)';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
