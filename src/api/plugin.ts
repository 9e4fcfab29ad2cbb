// `/api/v1` as one fastify plugin: the route table registered with authentication, authorisation, auditing,
// TypeBox validation and one error shape. main.ts mounts it with registerApi.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditOutcome } from '../inventory/audit.js';
import type { Logger } from '../observability/logger.js';
import { LifecycleRefusedError } from '../provision/lifecycle.js';
import type { Store } from '../store/types.js';
import { ANONYMOUS, appendApiAudit } from './audit.js';
import { type ApiAuth, isAuditedRefusal } from './auth.js';
import { ApiError, errorBody, toApiError } from './errors.js';
import {
  API_PREFIX,
  type AnyRoute,
  type ErasedCall,
  checkRouteTable,
  HIJACKED,
  type Principal,
} from './route.js';
import { ErrorSchema } from './schemas.js';
import { typeboxValidatorCompiler } from './validation.js';

export interface ApiPluginOptions {
  readonly routes: readonly AnyRoute[];
  readonly store: Store;
  readonly logger: Logger;
  /** Authentication and its failure limit, shared with the dashboard (auth.ts). */
  readonly auth: ApiAuth;
  /** Called on close, before the server stops: ends what holds a response open (event streams). */
  readonly onClose?: () => void;
}

/** Per request: the caller, and whether its audit entry is written (so the error handler does not add another). */
const principals = new WeakMap<FastifyRequest, Principal>();
const audited = new WeakSet<FastifyRequest>();

/** The route spec a request matched, from the route's config. */
function specOf(request: FastifyRequest): AnyRoute | undefined {
  const config = request.routeOptions.config as { spec?: AnyRoute };
  return config.spec;
}

/**
 * Registers the routes under API_PREFIX. The table is checked first (route.ts): a route without an access level
 * or a state-changing one without an audit action throws here, so the server does not start.
 */
export function mountApi(app: FastifyInstance, options: ApiPluginOptions): void {
  checkRouteTable(options.routes);
  const { store, logger, auth } = options;

  void app.register(
    (scope, _opts, done) => {
      scope.setValidatorCompiler(typeboxValidatorCompiler);
      scope.setErrorHandler(async (error, request, reply) => {
        const apiError = toApiError(error);
        if (apiError.status >= 500) request.log.error({ err: error }, 'API request failed');
        await auditFailure(store, request, reply, apiError, logger);
        return sendError(reply, apiError);
      });
      scope.setNotFoundHandler((_request, reply) =>
        sendError(reply, toApiError(Object.assign(new Error('not found'), { statusCode: 404 }))),
      );
      scope.addHook('preClose', (hookDone) => {
        options.onClose?.();
        hookDone();
      });
      for (const spec of options.routes) {
        scope.route({
          method: spec.method,
          url: spec.url,
          config: { spec },
          schema: {
            ...(spec.params === undefined ? {} : { params: spec.params }),
            ...(spec.query === undefined ? {} : { querystring: spec.query }),
            ...(spec.body === undefined ? {} : { body: spec.body }),
            response: {
              ...((spec.produces ?? 'application/json') === 'application/json'
                ? { [spec.status ?? 200]: spec.response }
                : {}),
              '4xx': ErrorSchema,
              '5xx': ErrorSchema,
            },
          },
          // onRequest: before the body is read, so an unauthenticated client cannot make the server parse 1 MiB.
          onRequest: async (request) => {
            if (spec.access === 'public') return;
            const target = `${spec.method} ${request.routeOptions.url ?? spec.url}`;
            try {
              const { name, role } = await auth.fromHeader(request, request.headers.authorization, target);
              await auth.authorize(request, { name, role }, spec.access, target);
              principals.set(request, { name, role });
            } catch (error) {
              // The refusal is this request's audit entry: a state-changing route does not add a second one.
              if (isAuditedRefusal(error)) audited.add(request);
              throw error;
            }
          },
          handler: (request, reply) => handle(spec, request, reply, store),
        });
      }
      done();
    },
    { prefix: API_PREFIX },
  );
}

/** The request's parts as a handler sees them (validated by the time the handler runs). */
function callOf(request: FastifyRequest, reply: FastifyReply): ErasedCall {
  return {
    params: request.params,
    query: request.query,
    body: request.body,
    principal: principals.get(request),
    request,
    reply,
  };
}

async function handle(spec: AnyRoute, request: FastifyRequest, reply: FastifyReply, store: Store) {
  const call = callOf(request, reply);
  const audit = spec.audit;
  // Fail closed (catalogue S08): with the database down the audit entry could not be written, so nothing changes.
  if (audit !== undefined && store.health() === 'down') {
    throw new ApiError(
      'FLEETBOOT_STORE_UNAVAILABLE',
      'the database is unavailable, so this change could not be audited and was not made; retry in a moment',
    );
  }
  let result: unknown;
  try {
    result = await spec.handler(call);
  } catch (error) {
    // The handler's callee wrote the entry of a refusal it decided; the error handler must not add another.
    if (audit?.recordedBy === 'handler' && isRecordedRefusal(error)) audited.add(request);
    throw error;
  }
  if (audit !== undefined && audit.recordedBy !== 'handler') {
    audited.add(request);
    await appendApiAudit(store.audit, {
      request,
      actor: call.principal?.name ?? ANONYMOUS,
      action: audit.action,
      target: audit.target(call),
      outcome: 'ok',
    }).catch((error: unknown) => {
      throw new ApiError(
        'FLEETBOOT_AUDIT_FAILED',
        'the change was made but its audit entry could not be written; check the store, the server log has the details',
        {},
        error,
      );
    });
  }
  if (result === HIJACKED) return reply;
  return reply.code(spec.status ?? 200).send(result);
}

/** A refusal the lifecycle audited itself (provision/lifecycle.ts), as is or as the ApiError it became. */
function isRecordedRefusal(error: unknown): boolean {
  return (
    error instanceof LifecycleRefusedError ||
    (error instanceof ApiError && error.cause instanceof LifecycleRefusedError)
  );
}

/** The audit entry of a state-changing call that failed (validation, conflict, not found), unless written. */
async function auditFailure(
  store: Store,
  request: FastifyRequest,
  reply: FastifyReply,
  error: ApiError,
  logger: Logger,
) {
  const spec = specOf(request);
  if (spec?.audit === undefined || audited.has(request)) return;
  audited.add(request);
  const outcome: AuditOutcome = error.status === 401 || error.status === 403 ? 'denied' : 'error';
  let target = '';
  try {
    // Built from what was sent; when that is what failed validation, the entry still says what was tried.
    target = spec.audit.target(callOf(request, reply));
  } catch {
    target = '';
  }
  await appendApiAudit(store.audit, {
    request,
    actor: principals.get(request)?.name ?? ANONYMOUS,
    action: spec.audit.action,
    target: typeof target === 'string' ? target : '',
    outcome,
    details: { status: error.status, code: error.code },
  }).catch((auditError: unknown) => {
    logger.error(
      { err: auditError, action: spec.audit?.action },
      'could not write the audit entry of a failed call',
    );
  });
}

function sendError(reply: FastifyReply, error: ApiError) {
  for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
  return reply.code(error.status).send(errorBody(error));
}
