import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JsonObject } from '../inventory/json.js';
import type { Machine } from '../inventory/machine.js';
import type { HttpApp } from '../net/http-app.js';
import type { Logger } from '../observability/logger.js';
import { AnswerRenderError } from '../answers/index.js';
import type { AnswerUrls as AnswerContextUrls } from '../answers/context.js';
import type { AuditLog } from '../store/types.js';
import type { Ipv4, Ipv4Subnet } from '../values/ipv4.js';
import type { BootClients } from './boot-clients.js';
import { httpBaseOf } from './http-base.js';
import { noStore } from './http-boot-scripts.js';
import { isInstallTokenShape } from './install-token.js';
import { LifecycleRefusedError } from './lifecycle.js';

/** The part of the install lifecycle (lifecycle.ts) the installer's requests drive. */
export interface InstallerLifecycle {
  /** The machine whose current, unexpired mark the token belongs to. */
  byToken(token: string): Promise<Machine | undefined>;
  /**
   * queued → installing on the first fetch; idempotent (catalogue F12: a fetch never consumes the mark). Refused
   * (LifecycleRefusedError) when the machine's mark is no longer the token's.
   */
  answerServed(machine: Machine, at: { address: string; file: string; token: string }): Promise<unknown>;
  /** → installed, the mark consumed; once. */
  installDone(token: string, at: { address: string }): Promise<unknown>;
  installFailed(token: string, at: { address: string; reason: string }): Promise<unknown>;
  progress(token: string, at: { address: string; details: JsonObject }): Promise<unknown>;
}

/** The URLs an answer file is rendered with (answers/context.ts); the mirror comes from the profile or image. */
export type AnswerUrls = Omit<AnswerContextUrls, 'mirror' | 'proxy'>;

/** Why there is no answer file to serve: no profile applies, its OS image is not imported, no such file. */
export type AnswerMiss =
  | { readonly kind: 'no-profile' }
  | { readonly kind: 'no-image'; readonly profile: string; readonly os: string }
  | { readonly kind: 'no-file'; readonly profile: string; readonly template: string };

/**
 * Renders one answer file of the machine's profile, or says why there is none. Throws AnswerRenderError when the
 * template cannot be rendered for this machine.
 */
export type AnswerRenderer = (
  machine: Machine,
  file: string,
  request: {
    readonly urls: AnswerUrls;
    readonly ip: Ipv4 | undefined;
    readonly subnet: Ipv4Subnet | undefined;
  },
) => Promise<{ readonly kind: 'answer'; readonly text: string; readonly contentType: string } | AnswerMiss>;

export interface AnswerRouteDeps {
  readonly lifecycle: InstallerLifecycle;
  readonly render: AnswerRenderer;
  readonly clients: BootClients;
  readonly audit: AuditLog;
  readonly publicUrl: string | undefined;
  readonly logger: Logger;
}

/** Catalogue H10: a callback body is a few fields; anything bigger is refused (413) before it is read whole. */
export const CALLBACK_BODY_LIMIT = 64 * 1024;
const CALLBACKS = ['done', 'failed', 'progress'] as const;
type Callback = (typeof CALLBACKS)[number];

/**
 * `GET /answers/<token>/<file>` and `POST /answers/<token>/done|failed|progress` (issue 5 items 4 and 6). The
 * token is the machine's install token; it is checked for shape before any lookup, found only while the mark is
 * valid, and accepted only from the machine's boot address (catalogue S04). Every refusal is the same 404, with
 * the reason in the audit log, so a prober learns nothing about which tokens exist. Tokens never reach logs or
 * metrics: routes are logged and counted by pattern (net/http-app.ts) and nothing here logs a URL.
 */
export async function registerAnswerRoutes(app: HttpApp, deps: AnswerRouteDeps): Promise<void> {
  await app.register((scope, _options, done) => {
    // busybox wget --post-data and curl -d send application/x-www-form-urlencoded; Ubuntu's reporting webhook
    // sends JSON; kickstart %post scripts send whatever they like. All are read as text, then parsed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'string', bodyLimit: CALLBACK_BODY_LIMIT },
      (_req, body, next) => {
        next(null, body);
      },
    );
    // fastify's own error log is off (net/http-app.ts) and its message would carry the URL, so the token: an
    // unexpected failure is logged here by route pattern only, and answered as a plain 500.
    scope.setErrorHandler((error, request, reply) => {
      // fastify's own refusals (413 body over the cap, 415, 400) carry no URL: the parent handler answers them.
      if (isClientError(error)) throw error;
      deps.logger.error(
        {
          route: request.routeOptions.url,
          method: request.method,
          client: request.ip,
          err: errorText(error),
        },
        'installer request failed',
      );
      return noStore(reply).code(500).type('text/plain; charset=utf-8').send('internal error\n');
    });
    scope.get('/answers/:token/:file', (request, reply) => answerFile(deps, request, reply));
    scope.post('/answers/:token/:callback', (request, reply) => callback(deps, request, reply));
    done();
  });
}

async function answerFile(deps: AnswerRouteDeps, request: FastifyRequest, reply: FastifyReply) {
  const { token, file } = request.params as { token: string; file: string };
  const machine = await authorised(deps, request, token, 'answer-file.fetch', { file });
  if (machine === undefined) return notFound(reply);
  const here = await deps.clients.identify(request.ip);
  let rendered;
  try {
    rendered = await deps.render(machine, file, {
      urls: answerUrls(httpBaseOf(deps.publicUrl, request), token),
      ip: here?.client.address,
      subnet: here?.subnet,
    });
  } catch (error) {
    if (!(error instanceof AnswerRenderError)) throw error;
    // The message names the template, line and variable; never the URL (it holds the token).
    deps.logger.error({ machine: machine.id, file, err: error.message }, 'answer file could not be rendered');
    await deps.audit.append({
      actor: 'installer',
      action: 'answer-file.fetch',
      target: machine.id,
      remoteAddress: request.ip,
      outcome: 'error',
      details: { file, error: error.message },
    });
    return noStore(reply)
      .code(500)
      .type('text/plain; charset=utf-8')
      .send('answer file error; see the server log\n');
  }
  if (rendered.kind !== 'answer') {
    await deny(deps, request, 'answer-file.fetch', machine.id, { file, ...missReason(rendered) });
    return notFound(reply);
  }
  try {
    await deps.lifecycle.answerServed(machine, { address: request.ip, file, token });
  } catch (error) {
    // The mark changed since byToken found it (canceled and re-marked, expired): refused and audited already.
    if (error instanceof LifecycleRefusedError) return notFound(reply);
    throw error;
  }
  return noStore(reply).type(rendered.contentType).send(rendered.text);
}

async function callback(deps: AnswerRouteDeps, request: FastifyRequest, reply: FastifyReply) {
  const { token, callback: name } = request.params as { token: string; callback: string };
  if (!isCallback(name)) return notFound(reply);
  const machine = await authorised(deps, request, token, `installer.${name}`, {});
  if (machine === undefined) return notFound(reply);
  const details = bodyDetails(request.body, request.headers['content-type']);
  const address = request.ip;
  try {
    switch (name) {
      case 'done':
        await deps.lifecycle.installDone(token, { address });
        break;
      case 'failed':
        await deps.lifecycle.installFailed(token, { address, reason: failureReason(details) });
        break;
      case 'progress':
        await deps.lifecycle.progress(token, { address, details });
        break;
    }
  } catch (error) {
    // Refused by the state machine (a replay racing the first done, a cancel in between): already audited.
    if (error instanceof LifecycleRefusedError) return notFound(reply);
    throw error;
  }
  return noStore(reply).type('text/plain; charset=utf-8').send('ok\n');
}

/** The machine of a well-formed, current token asked for from that machine's boot address; else audited, undefined. */
async function authorised(
  deps: AnswerRouteDeps,
  request: FastifyRequest,
  token: string,
  action: string,
  details: JsonObject,
): Promise<Machine | undefined> {
  if (!isInstallTokenShape(token)) {
    await deny(deps, request, action, 'unknown', { ...details, reason: 'malformed token' });
    return undefined;
  }
  const machine = await deps.lifecycle.byToken(token);
  if (machine === undefined) {
    await deny(deps, request, action, 'unknown', {
      ...details,
      reason: 'no machine is marked with this token',
    });
    return undefined;
  }
  if (!(await deps.clients.isBootAddress(machine, request.ip))) {
    await deny(deps, request, action, machine.id, {
      ...details,
      reason: 'not the address this machine boots from',
    });
    return undefined;
  }
  return machine;
}

async function deny(
  deps: AnswerRouteDeps,
  request: FastifyRequest,
  action: string,
  target: string,
  details: JsonObject,
): Promise<void> {
  await deps.audit.append({
    actor: 'anonymous',
    action,
    target,
    remoteAddress: request.ip,
    outcome: 'denied',
    details,
  });
  deps.logger.info(
    { action, target, client: request.ip, reason: details.reason },
    'installer request refused',
  );
}

export function answerUrls(httpBase: string, token: string): AnswerUrls {
  const answers = `${httpBase}/answers/${token}`;
  return {
    answers,
    done: `${answers}/done`,
    failed: `${answers}/failed`,
    progress: `${answers}/progress`,
    boot: `${httpBase}/boot`,
  };
}

function isCallback(name: string): name is Callback {
  return (CALLBACKS as readonly string[]).includes(name);
}

/** A callback body as JSON details: a JSON object, form fields, or the text itself (capped), whatever was sent. */
export function bodyDetails(body: unknown, contentType: string | undefined): JsonObject {
  if (typeof body !== 'string' || body === '') return {};
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        return parsed as JsonObject;
    } catch {
      // not JSON after all: kept as text below
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    return Object.fromEntries(new URLSearchParams(body));
  }
  return { text: body.slice(0, 2000) };
}

function failureReason(details: JsonObject): string {
  const reason = details.reason ?? details.text ?? details.message;
  return typeof reason === 'string' && reason !== ''
    ? reason.slice(0, 500)
    : 'the installer reported a failure';
}

function isClientError(error: unknown): boolean {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** The audit details of a miss: the operator's next step differs (assign, import, fix the URL). */
function missReason(miss: AnswerMiss): JsonObject {
  switch (miss.kind) {
    case 'no-profile':
      return { reason: 'no profile applies to this machine' };
    case 'no-image':
      return { reason: 'the OS image of its profile is not imported', profile: miss.profile, os: miss.os };
    case 'no-file':
      return { reason: 'no such file in the template', profile: miss.profile, template: miss.template };
  }
}

/** An error's name and message, never its stack's request details; the token is only ever in the URL. */
function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function notFound(reply: FastifyReply): FastifyReply {
  return noStore(reply).code(404).type('text/plain; charset=utf-8').send('not found\n');
}
