import type { JsonObject } from './json.js';
import type { EpochMs } from './time.js';

export const AUDIT_OUTCOMES = ['ok', 'denied', 'error'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * Who did what to what, from where, and how it ended (reliability-catalogue S08): every state-changing API call,
 * mark and unmark, answer-file fetch and authentication failure. Append-only.
 */
export interface AuditEntry {
  readonly id: number;
  readonly at: EpochMs;
  /** The authenticated user or token name; `anonymous` when authentication failed. */
  readonly actor: string;
  /** A stable verb such as `machine.mark`, `answer-file.fetch`, `auth.login`. */
  readonly action: string;
  /** What it acted on: a machine id, a MAC, a profile name. */
  readonly target: string;
  /** The peer address of the request (IPv4 or IPv6), when there was one. */
  readonly remoteAddress: string | null;
  readonly outcome: AuditOutcome;
  readonly details: JsonObject;
}

export interface NewAuditEntry {
  readonly at?: EpochMs;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly remoteAddress?: string | null;
  readonly outcome: AuditOutcome;
  readonly details?: JsonObject;
}
