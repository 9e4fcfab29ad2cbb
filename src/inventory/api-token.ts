import type { EpochMs } from './time.js';

/**
 * API roles, least to most privileged (reliability-catalogue S02): a viewer reads, an operator also acts on
 * machines (assign, install, cancel, labels), an admin also manages tokens and forgets machines.
 */
export const API_ROLES = ['viewer', 'operator', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** Whether `role` includes everything `required` may do. */
export function roleAllows(role: ApiRole, required: ApiRole): boolean {
  return API_ROLES.indexOf(role) >= API_ROLES.indexOf(required);
}

/** Token names: what `fleetboot token revoke` and the audit log's `actor` show, so one plain word. */
export const TOKEN_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * An API token as the store keeps it: never the token itself, only the SHA-256 of it (hashed so a copy of the
 * database lets nobody call the API). `tokenHash` stays inside the store and the auth check: no API response,
 * log line or metric carries it (catalogue S06).
 */
export interface ApiToken {
  /** A UUID (version 7, time-ordered), assigned by the store; not the secret: that is the token, stored hashed. */
  readonly id: string;
  readonly name: string;
  readonly role: ApiRole;
  readonly createdAt: EpochMs;
  /** Who created it: `cli` (the bootstrap path) or the name of the admin token that did. */
  readonly createdBy: string;
  /** Null while the token works. */
  readonly revokedAt: EpochMs | null;
}

export interface NewApiToken {
  readonly name: string;
  readonly role: ApiRole;
  readonly createdBy: string;
  /** Lower-case hex SHA-256 of the token. */
  readonly tokenHash: string;
}
