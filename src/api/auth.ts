// Who a caller is, for the API and the dashboard alike (issue 6 item 2): one rate limiter of authentication
// failures per address, one token lookup, one metric and one audit action per failure. The API reads the token
// from the Authorization header; the dashboard's login form posts it once, and its session remembers the token's
// hash (web/session.ts). Both refuse and audit through here, so a guesser gains nothing by switching door.
import type { FastifyRequest } from 'fastify';
import { type ApiRole, roleAllows } from '../inventory/api-token.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/types.js';
import { ANONYMOUS, appendApiAudit } from './audit.js';
import { ApiError } from './errors.js';
import { DEFAULT_FAILURE_LIMITS, FailureLimiter, type FailureLimiterOptions } from './failure-limiter.js';
import { apiMetrics, type ApiMetrics } from './metrics.js';
import type { Principal } from './route.js';
import { hashApiToken, isApiTokenShape } from './tokens.js';

export interface ApiAuthOptions {
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Wall-clock ms: the rate limit's windows. */
  readonly now: () => number;
  readonly limits?: Partial<Omit<FailureLimiterOptions, 'now'>>;
}

type FailureReason = 'missing' | 'malformed' | 'unknown';

const FAILURE_MESSAGES: Readonly<Record<FailureReason, string>> = {
  missing:
    'this call needs an API token: send `Authorization: Bearer <token>` (create one with `fleetboot token create`)',
  malformed: 'the Authorization header is not `Bearer <token>` with a fleetboot token (fbt_…)',
  unknown: 'the API token is not valid (unknown or revoked); create a new one with `fleetboot token create`',
};

/** A principal and the hash its token is found by: what a dashboard session keeps instead of the token. */
export interface Authenticated extends Principal {
  readonly tokenHash: string;
}

export class ApiAuth {
  private readonly limiter: FailureLimiter;
  private readonly metrics: ApiMetrics;

  constructor(private readonly options: ApiAuthOptions) {
    this.limiter = new FailureLimiter({ ...DEFAULT_FAILURE_LIMITS, ...options.limits, now: options.now });
    this.metrics = apiMetrics(options.metrics, options.store.inventory, options.logger);
  }

  /**
   * The caller of an `Authorization` header. Throws the ApiError to send: 429 while the address is over the
   * failure limit (not audited: its credentials are not looked at), 401 after auditing `auth.failed`.
   */
  async fromHeader(
    request: FastifyRequest,
    header: string | undefined,
    target: string,
  ): Promise<Authenticated> {
    this.refuseIfLimited(request);
    if (header === undefined || header.length === 0) return this.fail(request, 'missing', target);
    // RFC 7235 §2.1: the scheme is case-insensitive; exactly one space before the token (RFC 6750 §2.1).
    const token = /^bearer ([^\s]+)$/i.exec(header)?.[1];
    if (token === undefined) return this.fail(request, 'malformed', target);
    return this.fromToken(request, token, target);
  }

  /** The caller of a token given as is (the dashboard's login form); as fromHeader otherwise. */
  async fromToken(
    request: FastifyRequest,
    token: string | undefined,
    target: string,
  ): Promise<Authenticated> {
    this.refuseIfLimited(request);
    if (token === undefined || token.length === 0) return this.fail(request, 'missing', target);
    if (!isApiTokenShape(token)) return this.fail(request, 'malformed', target);
    const tokenHash = hashApiToken(token);
    const found = await this.options.store.tokens.findActiveByHash(tokenHash);
    if (found === undefined) return this.fail(request, 'unknown', target);
    return { name: found.name, role: found.role, tokenHash };
  }

  /**
   * The caller of a stored token hash (a dashboard session, checked on every request so that a revoked token
   * ends its sessions at once); undefined when the token is revoked. Not a failure of a guess: not counted.
   */
  async fromHash(tokenHash: string): Promise<Authenticated | undefined> {
    const found = await this.options.store.tokens.findActiveByHash(tokenHash);
    return found === undefined ? undefined : { name: found.name, role: found.role, tokenHash };
  }

  /** Throws 403 after auditing `auth.forbidden` unless `principal` has `needs`. */
  async authorize(
    request: FastifyRequest,
    principal: Principal,
    needs: ApiRole,
    target: string,
  ): Promise<void> {
    if (roleAllows(principal.role, needs)) return;
    this.metrics.authFailures.inc({ reason: 'forbidden' });
    await this.audit(request, principal.name, 'auth.forbidden', target, { role: principal.role, needs });
    throw new ApiError(
      'FLEETBOOT_FORBIDDEN',
      `this call needs the ${needs} role; token ${principal.name} has ${principal.role}: use a token with that role`,
    );
  }

  private refuseIfLimited(request: FastifyRequest): void {
    const retryAfter = this.limiter.retryAfterSeconds(request.ip);
    if (retryAfter <= 0) return;
    this.metrics.authFailures.inc({ reason: 'rate-limited' });
    throw new ApiError(
      'FLEETBOOT_RATE_LIMITED',
      `too many failed authentications from ${request.ip}; wait ${String(retryAfter)} s before trying again`,
      { 'retry-after': String(retryAfter) },
    );
  }

  private async fail(request: FastifyRequest, reason: FailureReason, target: string): Promise<never> {
    this.limiter.recordFailure(request.ip);
    this.metrics.authFailures.inc({ reason });
    await this.audit(request, ANONYMOUS, 'auth.failed', target, { reason });
    throw new ApiError('FLEETBOOT_UNAUTHENTICATED', FAILURE_MESSAGES[reason], {
      'www-authenticate': 'Bearer realm="fleetboot"',
    });
  }

  private async audit(
    request: FastifyRequest,
    actor: string,
    action: string,
    target: string,
    details: Record<string, string>,
  ): Promise<void> {
    await appendApiAudit(this.options.store.audit, {
      request,
      actor,
      action,
      target,
      outcome: 'denied',
      details,
    }).catch((error: unknown) => {
      // The caller is refused either way; a lost entry is an operator's problem to see, not a reason to let it in.
      this.options.logger.error(
        { err: error, action },
        'could not write the audit entry of a refused caller',
      );
    });
  }
}

/** Whether an error of ApiAuth was audited (everything but the rate limit's 429). */
export function isAuditedRefusal(error: unknown): boolean {
  return error instanceof ApiError && error.code !== 'FLEETBOOT_RATE_LIMITED';
}
