// The dashboard (issue 6 item 4): server-rendered HTML under /ui on fleetboot's one HTTP listener, htmx and its
// SSE extension for live updates, nothing fetched from elsewhere and no build step, so it works air-gapped and
// through an SSH tunnel. main.ts mounts it with registerDashboard.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerPreviewer } from '../api/answer-preview.js';
import { DEFAULT_EVENT_STREAM, type EventStreamOptions, EventStreams } from '../api/event-follow.js';
import { ApiError, toApiError } from '../api/errors.js';
import { HIJACKED } from '../api/route.js';
import { roleAllows } from '../inventory/api-token.js';
import { parseMachineId } from '../inventory/machine.js';
import { login, logout, machineAction } from './actions.js';
import { type Dashboard, type DashboardDeps, sendPage, signedIn } from './context.js';
import { captureRoute, confirm, fleet, forbidden, machine, withSession } from './pages.js';
import { DEFAULT_SESSIONS, type Session, type SessionOptions, Sessions } from './session.js';
import { loadStaticFiles, STATIC_PREFIX } from './static.js';
import { fleetStream, machineStream } from './streams.js';
import { loginPage, problemPage } from './views/login.js';

export type { DashboardDeps } from './context.js';

export interface DashboardOptions {
  readonly sessions?: Partial<Omit<SessionOptions, 'now'>>;
  readonly eventStream?: Partial<EventStreamOptions>;
}

/**
 * The page's Content-Security-Policy (reliability-catalogue H09, S13): scripts and styles from this origin only —
 * no inline script or style anywhere, so an injected `<script>` or `style=` would not run even if escaping failed —
 * no frames, no plugins, forms and connections to this origin only.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Form posts are a few fields (a token, a CSRF token, a profile name). */
const FORM_BODY_LIMIT = 16 * 1024;

export function registerDashboard(
  app: FastifyInstance,
  deps: DashboardDeps,
  options: DashboardOptions = {},
): void {
  const dashboard: Dashboard = {
    ...deps,
    files: loadStaticFiles(),
    sessions: new Sessions({ ...DEFAULT_SESSIONS, ...options.sessions, now: deps.now }),
    streams: new EventStreams(),
    streamOptions: { ...DEFAULT_EVENT_STREAM, ...options.eventStream },
    previewAnswer: answerPreviewer(deps.config, deps.catalog),
  };
  app.get('/', (_request, reply) => reply.redirect('/ui/machines', 302));
  void app.register(
    (scope, _opts, done) => {
      scope.removeContentTypeParser('application/x-www-form-urlencoded');
      scope.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
        (_request, body, next) => {
          next(null, parseForm(body as string));
        },
      );
      scope.addHook('onSend', async (_request, reply, payload) => {
        securityHeaders(reply);
        return payload;
      });
      scope.addHook('preClose', (hookDone) => {
        dashboard.streams.closeAll();
        hookDone();
      });
      scope.setErrorHandler(async (error, request, reply) => failed(dashboard, error, request, reply));
      scope.setNotFoundHandler(async (request, reply) =>
        sendPage(dashboard, reply, 'Not found', problemPage('Not found', 'there is no such page'), {
          status: 404,
          ...(await sessionOption(dashboard, request)),
        }),
      );
      routes(scope, dashboard);
      done();
    },
    { prefix: '/ui' },
  );
}

function routes(scope: FastifyInstance, dashboard: Dashboard): void {
  scope.get('/', (_request, reply) => reply.redirect('/ui/machines', 302));
  scope.get('/login', async (request, reply) => {
    if ((await signedIn(dashboard, request)) !== undefined) return reply.redirect('/ui/machines', 303);
    return sendPage(dashboard, reply, 'Sign in', loginPage(undefined));
  });
  scope.post('/login', (request, reply) => login(dashboard, request, reply));
  scope.post('/logout', (request, reply) => logout(dashboard, request, reply));
  const pages = {
    '/machines': fleet,
    '/machines/:id': machine,
    '/machines/:id/confirm': confirm,
    '/machines/:id/capture': capture,
  };
  for (const [url, page] of Object.entries(pages)) {
    scope.get(
      url,
      withSession(dashboard, (session, request, reply) => page(dashboard, session, request, reply)),
    );
  }
  scope.post('/machines/:id/:action', (request, reply) => machineAction(dashboard, request, reply));
  scope.get('/events', (request, reply) => fleetStream(dashboard, request, reply));
  scope.get('/machines/:id/events', (request, reply) => machineStream(dashboard, request, reply));
  scope.get(`${STATIC_PREFIX.slice('/ui'.length)}/:hash/:name`, (request, reply) => {
    const { hash, name } = request.params as { hash: string; name: string };
    const file = dashboard.files.get(name);
    if (file?.hash !== hash) return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
    // The path names the content: a year, never revalidated (RFC 8246 immutable).
    return reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .type(file.type)
      .send(file.body);
  });
}

/**
 * The boot capture as a download from a machine's page: the API's own capture route (issue 6 item 5), run with
 * the session's caller and the role the route requires, so the dashboard cannot show more than the API would.
 */
async function capture(dashboard: Dashboard, session: Session, request: FastifyRequest, reply: FastifyReply) {
  const route = captureRoute(dashboard);
  if (route === undefined) {
    return sendPage(
      dashboard,
      reply,
      'Not found',
      problemPage('No captures', 'this server keeps no boot captures'),
      {
        session,
        status: 404,
      },
    );
  }
  const { id } = request.params as { id: string };
  try {
    parseMachineId(id);
  } catch {
    return sendPage(
      dashboard,
      reply,
      'Not found',
      problemPage('No such machine', `no machine has the id ${id}`),
      {
        session,
        status: 404,
      },
    );
  }
  if (route.access !== 'public' && !roleAllows(session.principal.role, route.access)) {
    try {
      await dashboard.auth.authorize(
        request,
        session.principal,
        route.access,
        `GET /ui/machines/:id/capture`,
      );
    } catch (error) {
      return forbidden(dashboard, session, reply, error);
    }
  }
  const result = await route.handler({
    params: { id },
    query: {},
    body: undefined,
    principal: { name: session.principal.name, role: session.principal.role },
    request,
    reply,
  });
  if (result === HIJACKED) return reply;
  return reply.send(result);
}

/**
 * No page of the dashboard is cached, kept by a proxy, framed or sniffed. Referer only to this origin: links out
 * leak no path, and `same-origin` rather than `no-referrer`, under which browsers send `Origin: null` with the
 * dashboard's own form posts (Fetch §3.1, "append a request Origin header"), which the CSRF check must refuse.
 */
function securityHeaders(reply: FastifyReply): void {
  void reply.header('content-security-policy', DASHBOARD_CSP);
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'same-origin');
  void reply.header('x-frame-options', 'DENY');
  void reply.header('cross-origin-opener-policy', 'same-origin');
  if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
}

/** An error page; the message is the API's (which says what to do) or, for anything unexpected, says nothing. */
async function failed(dashboard: Dashboard, error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const apiError = error instanceof ApiError ? error : toApiError(error);
  if (apiError.status >= 500)
    dashboard.logger.error({ err: error, route: request.routeOptions.url }, 'dashboard page failed');
  return sendPage(dashboard, reply, 'Error', problemPage('Something went wrong', apiError.message), {
    status: apiError.status,
    ...(await sessionOption(dashboard, request).catch(() => ({}))),
  });
}

async function sessionOption(dashboard: Dashboard, request: FastifyRequest) {
  const session = await signedIn(dashboard, request);
  return session === undefined ? {} : { session };
}

/**
 * `application/x-www-form-urlencoded` (WHATWG URL §5) into plain fields: the first value of each name, in an
 * object without a prototype, so `__proto__=…` is just a field (catalogue H08).
 */
export function parseForm(body: string): Record<string, string> {
  const fields = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(body)) {
    if (!(name in fields)) fields[name] = value;
  }
  return fields;
}
