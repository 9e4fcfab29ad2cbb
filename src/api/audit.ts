// Audit entries of the API (reliability-catalogue S08): one per state-changing call and one per authentication
// failure, each with who, what, when (the store's clock), from where and the outcome.
import type { FastifyRequest } from 'fastify';
import type { AuditOutcome } from '../inventory/audit.js';
import type { JsonObject } from '../inventory/json.js';
import type { AuditLog } from '../store/types.js';

/** The actor of an entry whose caller could not be identified. */
export const ANONYMOUS = 'anonymous';

export interface ApiAuditEntry {
  readonly request: FastifyRequest;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: AuditOutcome;
  readonly details?: JsonObject;
}

/**
 * Appends the entry. Never the credentials, the query string or the body: only the method and the route pattern
 * (catalogue S06); what changed is in `details`, chosen by the route.
 */
export async function appendApiAudit(audit: AuditLog, entry: ApiAuditEntry): Promise<void> {
  const { request } = entry;
  await audit.append({
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    // The socket's peer: fastify's trustProxy is off, so X-Forwarded-For cannot choose it (catalogue H05).
    remoteAddress: request.ip,
    outcome: entry.outcome,
    details: { method: request.method, route: request.routeOptions.url ?? '', ...entry.details },
  });
}
