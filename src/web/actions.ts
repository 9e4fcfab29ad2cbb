// Everything the dashboard changes (POST): sign in and out, and the machine commands. Each is refused unless it
// comes from the dashboard's own page (origin.ts) with the session's CSRF token (session.ts), by a role allowed
// to (the API's roles, ApiAuth.authorize), while the audit log can be written. The commands go through the same
// lifecycle as the API's, which audits each outcome with the token's name and the caller's address (S08).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { appendApiAudit } from '../api/audit.js';
import { ApiError, toApiError } from '../api/errors.js';
import { refusalToApiError } from '../api/routes/lifecycle.js';
import type { Machine } from '../inventory/machine.js';
import { isOneOf } from '../values/guards.js';
import { type Dashboard, formOf, sendPage, signedIn, toLogin } from './context.js';
import { fromOwnPage } from './origin.js';
import { forbidden, machineOfPath } from './pages.js';
import { csrfMatches, type Session, sessionCookie } from './session.js';
import { loginPage, problemPage } from './views/login.js';
import { ACTION_TITLES, type MachineAction, MACHINE_ACTIONS } from './views/machine.js';

const LOGIN_TARGET = 'POST /ui/login';

export async function login(dashboard: Dashboard, request: FastifyRequest, reply: FastifyReply) {
  if (!fromOwnPage(request)) return crossSite(dashboard, request, reply, undefined);
  const token = formOf(request).token;
  let principal;
  try {
    principal = await dashboard.auth.fromToken(request, token?.trim(), LOGIN_TARGET);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    for (const [name, value] of Object.entries(error.headers)) {
      if (name === 'retry-after') void reply.header(name, value);
    }
    const message =
      error.code === 'FLEETBOOT_RATE_LIMITED'
        ? error.message
        : 'That token was not accepted (unknown, revoked or mistyped).';
    return sendPage(dashboard, reply, 'Sign in', loginPage(message), { status: error.status });
  }
  const session = dashboard.sessions.create(principal);
  await audit(dashboard, request, session, 'web.login', principal.name, 'ok', { role: principal.role });
  return reply
    .header(
      'set-cookie',
      sessionCookie(session.id, {
        maxAgeSeconds: dashboard.sessions.cookieMaxAgeSeconds,
        secure: request.protocol === 'https',
      }),
    )
    .redirect('/ui/machines', 303);
}

export async function logout(dashboard: Dashboard, request: FastifyRequest, reply: FastifyReply) {
  const session = await signedIn(dashboard, request);
  if (session === undefined) return toLogin(reply, request);
  if (!(await checkForm(dashboard, request, reply, session))) return reply;
  dashboard.sessions.delete(session.id);
  await audit(dashboard, request, session, 'web.logout', session.principal.name, 'ok', {});
  return toLogin(reply, request);
}

/** POST /ui/machines/:id/:action, from a confirmation page. */
export async function machineAction(dashboard: Dashboard, request: FastifyRequest, reply: FastifyReply) {
  const session = await signedIn(dashboard, request);
  if (session === undefined) return toLogin(reply, request);
  if (!(await checkForm(dashboard, request, reply, session))) return reply;
  const { action } = request.params as { action: string };
  if (!isOneOf(MACHINE_ACTIONS, action)) {
    return sendPage(
      dashboard,
      reply,
      'Unknown action',
      problemPage('Unknown action', `no action is called ${action}`),
      {
        session,
        status: 404,
      },
    );
  }
  try {
    await dashboard.auth.authorize(request, session.principal, 'operator', `POST /ui/machines/:id/${action}`);
  } catch (error) {
    return forbidden(dashboard, session, reply, error);
  }
  // Fail closed (catalogue S08), as the API does: with the database down, the change could not be audited.
  if (dashboard.store.health() === 'down') {
    return sendPage(
      dashboard,
      reply,
      'Unavailable',
      problemPage(
        'Not done',
        'the database is unavailable, so this change could not be audited and was not made',
      ),
      { session, status: 503 },
    );
  }
  const machine = await machineOfPath(dashboard, session, request, reply);
  if (machine === undefined) return reply;
  const form = formOf(request);
  // The page the operator confirmed described the machine in this state; a change since needs a new look.
  if (form.state !== machine.state) {
    session.flash = {
      text: `The machine is ${machine.state} now (it was ${form.state ?? 'unknown'} when you confirmed): nothing was done; look again.`,
      error: true,
    };
    return reply.redirect(`/ui/machines/${machine.id}`, 303);
  }
  session.flash = await run(dashboard, request, session, machine, action, form);
  return reply.redirect(`/ui/machines/${machine.id}`, 303);
}

async function run(
  dashboard: Dashboard,
  request: FastifyRequest,
  session: Session,
  machine: Machine,
  action: MachineAction,
  form: Readonly<Record<string, string>>,
): Promise<Session['flash']> {
  const actor = { actor: session.principal.name, address: request.ip };
  const { lifecycle } = dashboard;
  try {
    switch (action) {
      case 'assign': {
        const profile = form.profile === undefined || form.profile === '' ? null : form.profile;
        await lifecycle.assign(machine.id, profile, actor);
        return { text: profile === null ? 'Profile cleared.' : `Profile ${profile} assigned.`, error: false };
      }
      case 'install':
      case 'reinstall':
        await lifecycle.markInstall(machine.id, { ...actor, reinstall: action === 'reinstall' });
        return { text: `Marked for ${action}: its next network boot installs it.`, error: false };
      case 'cancel':
        await lifecycle.cancel(machine.id, actor);
        return { text: 'Install mark canceled.', error: false };
    }
  } catch (error) {
    // The lifecycle audited its refusal; its message says what to do instead.
    const refused = refusalToApiError(error);
    const known = refused instanceof ApiError ? refused : toApiError(error);
    if (known.status >= 500) dashboard.logger.error({ err: error, action }, 'dashboard action failed');
    return { text: `${ACTION_TITLES[action]} refused: ${known.message}`, error: true };
  }
}

/**
 * The two CSRF checks of every state-changing form: from our own page, with the session's token. A refusal is
 * audited (it may be an attack on a signed-in operator) and answered with 403.
 */
async function checkForm(
  dashboard: Dashboard,
  request: FastifyRequest,
  reply: FastifyReply,
  session: Session,
): Promise<boolean> {
  if (!fromOwnPage(request)) {
    await crossSite(dashboard, request, reply, session);
    return false;
  }
  if (!csrfMatches(session, formOf(request).csrf)) {
    await audit(dashboard, request, session, 'web.csrf', pathOf(request), 'denied', { reason: 'csrf token' });
    sendPage(
      dashboard,
      reply,
      'Not done',
      problemPage(
        'Not done',
        'the form was stale or not from this dashboard (CSRF token): reload the page and try again',
      ),
      { session, status: 403 },
    );
    return false;
  }
  return true;
}

async function crossSite(
  dashboard: Dashboard,
  request: FastifyRequest,
  reply: FastifyReply,
  session: Session | undefined,
) {
  await audit(dashboard, request, session, 'web.csrf', pathOf(request), 'denied', { reason: 'cross-origin' });
  return sendPage(
    dashboard,
    reply,
    'Not done',
    problemPage(
      'Not done',
      'this request did not come from a page of this dashboard (Origin / Sec-Fetch-Site)',
    ),
    { ...(session === undefined ? {} : { session }), status: 403 },
  );
}

async function audit(
  dashboard: Dashboard,
  request: FastifyRequest,
  session: Session | undefined,
  action: string,
  target: string,
  outcome: 'ok' | 'denied',
  details: Record<string, string>,
): Promise<void> {
  await appendApiAudit(dashboard.store.audit, {
    request,
    actor: session?.principal.name ?? 'anonymous',
    action,
    target,
    outcome,
    details,
  });
}

/** The request's path without its query string (catalogue S06: audit entries carry no query). */
function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? '';
}
