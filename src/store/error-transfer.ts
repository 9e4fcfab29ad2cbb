// Store errors across a thread boundary (sqlite-writer.ts). postMessage's structured clone keeps an Error's message
// but not its class or its fields, and callers match on both (`instanceof LeaseConflictError`, `error.holder`,
// `error.code`): each error the routed methods can raise is sent as its constructor's arguments and built again.
import type { Lease } from '../inventory/lease.js';
import type { MachineId } from '../inventory/machine.js';
import { errorCode } from './adapter.js';
import type { StoreError } from './errors.js';
import {
  InvalidInputError,
  LeaseConflictError,
  type LeaseConflictReason,
  MachineNotFoundError,
  StoreBusyError,
  StoreDataError,
  StoreQueryError,
  StoreUnavailableError,
} from './errors.js';

/** A driver error (a `cause`), as far as the store reads one: its message and its code. */
interface SentCause {
  readonly message: string;
  readonly code: string | undefined;
}

export type SentError =
  | {
      readonly kind: 'lease-conflict';
      readonly reason: LeaseConflictReason;
      readonly attempted: Lease;
      readonly holder: Lease | undefined;
    }
  | { readonly kind: 'invalid-input'; readonly field: string; readonly reason: string }
  | { readonly kind: 'bad-row'; readonly table: string; readonly key: string; readonly reason: string }
  | { readonly kind: 'machine-not-found'; readonly machineId: MachineId }
  | { readonly kind: 'unavailable' | 'busy'; readonly target: string; readonly cause: SentCause }
  | { readonly kind: 'query'; readonly cause: SentCause };

export function sendError(error: unknown): SentError {
  if (error instanceof LeaseConflictError) {
    return { kind: 'lease-conflict', reason: error.reason, attempted: error.attempted, holder: error.holder };
  }
  if (error instanceof InvalidInputError)
    return { kind: 'invalid-input', field: error.field, reason: error.reason };
  if (error instanceof StoreDataError) {
    return { kind: 'bad-row', table: error.table, key: error.key, reason: error.reason };
  }
  if (error instanceof MachineNotFoundError) return { kind: 'machine-not-found', machineId: error.machineId };
  if (error instanceof StoreUnavailableError)
    return { kind: 'unavailable', target: error.target, cause: cause(error.cause) };
  if (error instanceof StoreBusyError)
    return { kind: 'busy', target: error.target, cause: cause(error.cause) };
  // StoreQueryError, or anything the store did not translate (a bug): a query error, with the driver's message.
  return { kind: 'query', cause: cause(error instanceof StoreQueryError ? error.cause : error) };
}

export function receiveError(sent: SentError): StoreError {
  switch (sent.kind) {
    case 'lease-conflict':
      return new LeaseConflictError(sent.reason, sent.attempted, sent.holder);
    case 'invalid-input':
      return new InvalidInputError(sent.field, sent.reason);
    case 'bad-row':
      return new StoreDataError(sent.table, sent.key, sent.reason);
    case 'machine-not-found':
      return new MachineNotFoundError(sent.machineId);
    case 'unavailable':
      return new StoreUnavailableError(sent.target, driverError(sent.cause));
    case 'busy':
      return new StoreBusyError(sent.target, driverError(sent.cause));
    case 'query':
      return new StoreQueryError(driverError(sent.cause));
  }
}

function cause(error: unknown): SentCause {
  return { message: error instanceof Error ? error.message : String(error), code: errorCode(error) };
}

function driverError(sent: SentCause): Error {
  const error = new Error(sent.message);
  return sent.code === undefined ? error : Object.assign(error, { code: sent.code });
}
