// The event log as a Server-Sent Events stream (issue 6, item 1): each event once, in id order, as `id:` + JSON.
// A client that reconnects sends Last-Event-ID (browsers' EventSource do by themselves) and misses nothing
// (event-follow.ts).
import { parseMachineId } from '../../inventory/machine.js';
import type { Logger } from '../../observability/logger.js';
import type { Store } from '../../store/types.js';
import { ApiError } from '../errors.js';
import type { EventStreams } from '../event-follow.js';
import {
  type EventStreamOptions,
  followEvents,
  lastEventId,
  latestEventId,
  sseMessage,
} from '../event-follow.js';
import { defineRoute, HIJACKED, type AnyRoute } from '../route.js';
import { EventStreamQuerySchema } from '../schemas.js';
import Type from 'typebox';

export { DEFAULT_EVENT_STREAM, EventStreams, type EventStreamOptions } from '../event-follow.js';

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
        const resumeAt = lastEventId(request.headers['last-event-id']);
        if (resumeAt === 'invalid') {
          // A malformed one is a client error, not a silent restart from now.
          throw new ApiError(
            'FLEETBOOT_INVALID_REQUEST',
            'Last-Event-ID must be the id of an event (digits)',
          );
        }
        const cursor = resumeAt ?? query.afterId ?? (await latestEventId(store, machineId));
        reply.hijack();
        followEvents(reply.raw, {
          store,
          streams,
          options,
          logger,
          machineId,
          cursor,
          render: (events) =>
            events
              .map((event) =>
                sseMessage({ id: event.id, event: 'machine-event', data: JSON.stringify(event) }),
              )
              .join(''),
        });
        return HIJACKED;
      },
    }),
  ];
}
