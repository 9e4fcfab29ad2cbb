// What every part of the dashboard shares: its dependencies, and who is asking.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AnswerPreviewer } from '../api/answer-preview.js';
import type { ApiAuth } from '../api/auth.js';
import type { EventStreamOptions, EventStreams } from '../api/event-follow.js';
import type { ApiDeps } from '../api/index.js';
import type { AnyRoute } from '../api/route.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/types.js';
import type { CacheSavings } from '../values/cache-savings.js';
import type { Html } from './html.js';
import { page } from './layout.js';
import { type Session, type Sessions, sessionCookie, sessionIdOf } from './session.js';
import type { StaticFiles } from './static.js';

export interface DashboardDeps {
  readonly store: Store;
  readonly config: ApiDeps['config'];
  /** The install lifecycle the API's commands go through: the dashboard's actions are audited as the API's. */
  readonly lifecycle: ApiDeps['lifecycle'];
  readonly catalog: ApiDeps['catalog'];
  /** The API's authentication: one failure limit and one audit for both doors. */
  readonly auth: ApiAuth;
  /** The API's route table: machine pages link the boot capture when it has a capture route. */
  readonly apiRoutes: readonly AnyRoute[];
  readonly logger: Logger;
  readonly version: string;
  /** Wall-clock ms. */
  readonly now: () => number;
  /** The package cache's saving (issue 7 item 5); absent when the cache is off. */
  readonly cacheSavings?: () => CacheSavings;
}

export interface Dashboard extends DashboardDeps {
  readonly files: StaticFiles;
  readonly sessions: Sessions;
  readonly streams: EventStreams;
  readonly streamOptions: EventStreamOptions;
  readonly previewAnswer: AnswerPreviewer;
}

/**
 * The signed-in session of a request, checked against the store each time: a revoked token ends its sessions at
 * once. Undefined when there is none (or it ended).
 */
export async function signedIn(dashboard: Dashboard, request: FastifyRequest): Promise<Session | undefined> {
  const session = dashboard.sessions.get(sessionIdOf(request.headers.cookie));
  if (session === undefined) return undefined;
  if ((await dashboard.auth.fromHash(session.principal.tokenHash)) === undefined) {
    dashboard.sessions.delete(session.id);
    return undefined;
  }
  return session;
}

/** Sends a whole page. */
export function sendPage(
  dashboard: Dashboard,
  reply: FastifyReply,
  title: string,
  body: Html,
  options: { session?: Session; status?: number } = {},
): FastifyReply {
  const html = page(
    {
      files: dashboard.files,
      version: dashboard.version,
      ...(options.session === undefined ? {} : { session: options.session }),
    },
    title,
    body,
  );
  return reply
    .code(options.status ?? 200)
    .type('text/html; charset=utf-8')
    .send(html.text);
}

/** To the login page, forgetting a session cookie the browser may still send. */
export function toLogin(reply: FastifyReply, request: FastifyRequest): FastifyReply {
  return reply
    .header('set-cookie', sessionCookie('', { maxAgeSeconds: 0, secure: request.protocol === 'https' }))
    .redirect('/ui/login', 303);
}

/** Fields of a posted form (the scope's parser makes them), or an empty set. */
export function formOf(request: FastifyRequest): Readonly<Record<string, string>> {
  const body: unknown = request.body;
  return body !== null && typeof body === 'object' ? (body as Record<string, string>) : {};
}

/** The query string as strings: the first of repeated keys. */
export function queryOf(request: FastifyRequest): Readonly<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  for (const [key, value] of Object.entries(request.query as Record<string, unknown>)) {
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[key] = first;
  }
  return out;
}
