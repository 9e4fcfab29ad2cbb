// `/api/v1` as one fastify plugin: the route table registered with authentication, authorisation, auditing,
// TypeBox validation and one error shape. main.ts mounts it with registerApi.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { roleAllows } from '../inventory/api-token.js';
import type { AuditOutcome } from '../inventory/audit.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { LifecycleRefusedError } from '../provision/lifecycle.js';
import type { Store } from '../store/types.js';
import { ANONYMOUS, appendApiAudit } from './audit.js';
import { ApiError, errorBody, toApiError } from './errors.js';
import { DEFAULT_FAILURE_LIMITS, FailureLimiter, type FailureLimiterOptions } from './failure-limiter.js';
import { apiMetrics, type ApiMetrics } from './metrics.js';
import {
  API_PREFIX,
  type AnyRoute,
  type ErasedCall,
  checkRouteTable,
  HIJACKED,
  type Principal,
} from './route.js';
import { ErrorSchema } from './schemas.js';
import { hashApiToken, isApiTokenShape } from './tokens.js';
import { typeboxValidatorCompiler } from './validation.js';

export interface ApiPluginOptions {
  readonly routes: readonly AnyRoute[];
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly authLimits?: Partial<Omit<FailureLimiterOptions, 'now'>>;
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
  const { store, logger } = options;
  const metrics = apiMetrics(options.metrics, store.inventory, logger);
  const limiter = new FailureLimiter({ ...DEFAULT_FAILURE_LIMITS, ...options.authLimits, now: options.now });
  const authenticate = authenticator({ store, logger, metrics, limiter });

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
            const principal = await authenticate(request, spec);
            principals.set(request, principal);
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

interface AuthenticatorDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: ApiMetrics;
  readonly limiter: FailureLimiter;
}

type FailureReason = 'missing' | 'malformed' | 'unknown';

const FAILURE_MESSAGES: Readonly<Record<FailureReason, string>> = {
  missing:
    'this call needs an API token: send `Authorization: Bearer <token>` (create one with `fleetboot token create`)',
  malformed: 'the Authorization header is not `Bearer <token>` with a fleetboot token (fbt_…)',
  unknown: 'the API token is not valid (unknown or revoked); create a new one with `fleetboot token create`',
};

/** Checks a request's bearer token and role; throws the ApiError to send, after auditing a failure. */
function authenticator(deps: AuthenticatorDeps) {
  const { store, limiter, metrics } = deps;
  return async (request: FastifyRequest, spec: AnyRoute): Promise<Principal> => {
    const address = request.ip;
    const retryAfter = limiter.retryAfterSeconds(address);
    if (retryAfter > 0) {
      metrics.authFailures.inc({ reason: 'rate-limited' });
      throw new ApiError(
        'FLEETBOOT_RATE_LIMITED',
        `too many failed authentications from ${address}; wait ${retryAfter} s before trying again`,
        { 'retry-after': String(retryAfter) },
      );
    }
    const found = await lookUp(store, request.headers.authorization);
    if (typeof found === 'string') {
      limiter.recordFailure(address);
      metrics.authFailures.inc({ reason: found });
      await auditAuth(deps, request, spec, ANONYMOUS, 'auth.failed', { reason: found });
      throw new ApiError('FLEETBOOT_UNAUTHENTICATED', FAILURE_MESSAGES[found], {
        'www-authenticate': 'Bearer realm="fleetboot"',
      });
    }
    if (spec.access !== 'public' && !roleAllows(found.role, spec.access)) {
      metrics.authFailures.inc({ reason: 'forbidden' });
      await auditAuth(deps, request, spec, found.name, 'auth.forbidden', {
        role: found.role,
        needs: spec.access,
      });
      throw new ApiError(
        'FLEETBOOT_FORBIDDEN',
        `this call needs the ${spec.access} role; token ${found.name} has ${found.role}: use a token with that role`,
      );
    }
    return found;
  };
}

async function lookUp(store: Store, header: string | undefined): Promise<Principal | FailureReason> {
  if (header === undefined || header.length === 0) return 'missing';
  // RFC 7235 §2.1: the scheme is case-insensitive; exactly one space before the token (RFC 6750 §2.1).
  const match = /^bearer ([^\s]+)$/i.exec(header);
  const token = match?.[1];
  if (token === undefined || !isApiTokenShape(token)) return 'malformed';
  const found = await store.tokens.findActiveByHash(hashApiToken(token));
  return found === undefined ? 'unknown' : { name: found.name, role: found.role };
}

async function auditAuth(
  deps: AuthenticatorDeps,
  request: FastifyRequest,
  spec: AnyRoute,
  actor: string,
  action: string,
  details: Record<string, string>,
): Promise<void> {
  // The failure is this request's audit entry: a state-changing route does not add a second one.
  audited.add(request);
  await appendApiAudit(deps.store.audit, {
    request,
    actor,
    action,
    target: `${spec.method} ${request.routeOptions.url ?? spec.url}`,
    outcome: 'denied',
    details,
  }).catch((error: unknown) => {
    // The caller is refused either way; a lost entry is an operator's problem to see, not a reason to let it in.
    deps.logger.error({ err: error, action }, 'could not write the audit entry of an authentication failure');
  });
}
