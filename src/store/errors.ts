// Errors the store throws in domain terms, each with a stable code (design.md §8.6) so the API can map them to
// HTTP statuses and the DHCP server to drop reasons without matching message text.
import type { Lease } from '../inventory/lease.js';
import type { MachineId, MachineState } from '../inventory/machine.js';
import type { Expectation } from './types.js';

export abstract class StoreError extends Error {
  abstract readonly code: string;
}

export type LeaseConflictReason = 'address-held' | 'client-holds-another';

/** A lease commit that would break uniqueness (catalogue I3): nothing was written. */
export class LeaseConflictError extends StoreError {
  override readonly name = 'LeaseConflictError';
  readonly code = 'FLEETBOOT_LEASE_CONFLICT';
  constructor(
    readonly reason: LeaseConflictReason,
    readonly attempted: Lease,
    /** The lease standing in the way, when it could still be read after the failed commit. */
    readonly holder: Lease | undefined,
  ) {
    super(
      reason === 'address-held'
        ? `${attempted.address} is ${holder ? `${holder.state} for client ${holder.clientId}` : 'held'}; not leased to client ${attempted.clientId}`
        : `client ${attempted.clientId} already holds ${holder?.address ?? 'another address'} in this subnet; release it before taking ${attempted.address}`,
    );
  }
}

export class MachineNotFoundError extends StoreError {
  override readonly name = 'MachineNotFoundError';
  readonly code = 'FLEETBOOT_MACHINE_NOT_FOUND';
  constructor(readonly machineId: MachineId) {
    super(`no machine with id ${machineId}`);
  }
}

/** An optimistic-concurrency failure: the machine changed since the caller read it. Nothing was written. */
export class MachineConflictError extends StoreError {
  override readonly name = 'MachineConflictError';
  readonly code = 'FLEETBOOT_MACHINE_CONFLICT';
  constructor(
    readonly machineId: MachineId,
    readonly expected: Expectation,
    readonly actual: { readonly version: number; readonly state: MachineState },
  ) {
    super(
      `machine ${machineId} changed: expected ${describe(expected)}, found version ${actual.version} in state ${actual.state}; read it again and retry`,
    );
  }
}

function describe(expected: Expectation): string {
  const parts: string[] = [];
  if (expected.version !== undefined) parts.push(`version ${expected.version}`);
  if (expected.state !== undefined) parts.push(`state ${expected.state}`);
  return parts.join(' and ');
}

export type UniqueField = 'mac' | 'reservedIp' | 'installToken';

/** A value that must be unique across machines is already taken. */
export class DuplicateValueError extends StoreError {
  override readonly name = 'DuplicateValueError';
  readonly code = 'FLEETBOOT_DUPLICATE_VALUE';
  constructor(
    readonly field: UniqueField,
    readonly value: string,
  ) {
    super(
      field === 'installToken'
        ? 'another machine already has an install mark with this token hash'
        : `${field} ${value} already belongs to another machine`,
    );
  }
}

/** An API token name that is taken (names stay with revoked tokens, so the audit trail names one token). */
export class TokenNameTakenError extends StoreError {
  override readonly name = 'TokenNameTakenError';
  readonly code = 'FLEETBOOT_TOKEN_NAME_TAKEN';
  constructor(readonly tokenName: string) {
    super(
      `an API token named ${tokenName} exists already (revoked tokens keep their names); pick another name`,
    );
  }
}

/** Input refused before it reached the database: a record that would not load back, or breaks a rule of the domain model, or a malformed query. */
export class InvalidInputError extends StoreError {
  override readonly name = 'InvalidInputError';
  readonly code = 'FLEETBOOT_STORE_INVALID_INPUT';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** A row that does not decode into a domain value (written by hand, or by a buggy older version). */
export class StoreDataError extends StoreError {
  override readonly name = 'StoreDataError';
  readonly code = 'FLEETBOOT_STORE_BAD_ROW';
  constructor(
    readonly table: string,
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${table} row ${key} is malformed: ${reason}`);
  }
}

export class InvalidCursorError extends StoreError {
  override readonly name = 'InvalidCursorError';
  readonly code = 'FLEETBOOT_INVALID_CURSOR';
  constructor(reason: string) {
    super(`invalid page cursor: ${reason}; start again from the first page`);
  }
}

export class StoreUrlError extends StoreError {
  override readonly name = 'StoreUrlError';
  readonly code = 'FLEETBOOT_STORE_URL';
  constructor(readonly url: string) {
    // The URL may carry a password: name only its scheme.
    super(
      `unsupported store "${url.split(':')[0] ?? ''}:…": use "sqlite", "sqlite:PATH", "sqlite::memory:" or "postgres://user:password@host:port/database"`,
    );
  }
}

export class MigrationError extends StoreError {
  override readonly name = 'MigrationError';
  readonly code = 'FLEETBOOT_STORE_MIGRATION';
  constructor(
    readonly migration: string | undefined,
    override readonly cause: unknown,
  ) {
    super(
      `database migration ${migration ?? ''} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/** The database cannot be reached (catalogue F06): the message names the server, never the credentials. */
export class StoreUnavailableError extends StoreError {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'FLEETBOOT_STORE_UNAVAILABLE';
  constructor(
    readonly target: string,
    override readonly cause: unknown,
  ) {
    super(
      `cannot reach the database at ${target}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/**
 * Settings the store cannot work with, found when it opens: a PostgreSQL schema name it would have to quote, a
 * schema that does not exist, a file system without WAL. The message says what to change.
 */
export class StoreConfigError extends StoreError {
  override readonly name = 'StoreConfigError';
  readonly code = 'FLEETBOOT_STORE_CONFIG';
}

/**
 * The database stayed locked by another writer for longer than the store waits (SQLite busy_timeout, catalogue
 * F07; PostgreSQL deadlock or serialisation failure). Nothing was written; the same call may succeed later. The
 * store is not down for it.
 */
export class StoreBusyError extends StoreError {
  override readonly name = 'StoreBusyError';
  readonly code = 'FLEETBOOT_STORE_BUSY';
  constructor(
    readonly target: string,
    override readonly cause: unknown,
  ) {
    super(`the database at ${target} is busy with another writer; nothing was written, try again`);
  }
}

/**
 * Anything else the database refused: a bug, or a schema changed behind the store's back. The message is the
 * driver's, which names statements and constraints but not the values of a row.
 */
export class StoreQueryError extends StoreError {
  override readonly name = 'StoreQueryError';
  readonly code = 'FLEETBOOT_STORE_QUERY';
  constructor(override readonly cause: unknown) {
    super(`database query failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
