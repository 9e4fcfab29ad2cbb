import { ExitCode } from '../exit-codes.js';
import { CommandError } from '../io.js';
import { ApiCallError, UnreachableError } from './api-client.js';

// API errors as the CLI's stable exit codes (exit-codes.ts), with the API's own message, which says what to do.

/** Errors that are about the call, not about one machine: a command acting on many stops at the first. */
export function isFatal(error: unknown): boolean {
  if (!(error instanceof ApiCallError)) return true;
  return !(error.status === 400 || error.status === 404 || error.status === 409);
}

export function exitCodeOf(error: ApiCallError | UnreachableError): ExitCode {
  if (error instanceof UnreachableError) return ExitCode.unreachable;
  if (error.status === 401 || error.status === 403 || error.status === 429) return ExitCode.denied;
  if (error.code === 'FLEETBOOT_STORE_UNAVAILABLE' || error.code === 'FLEETBOOT_STORE_BUSY')
    return ExitCode.store;
  if (error.status === 400) return ExitCode.usage;
  return ExitCode.failure;
}

/** An API or connection error as the CommandError the program prints; anything else unchanged. */
export function asCommandError(error: unknown): unknown {
  if (error instanceof ApiCallError || error instanceof UnreachableError) {
    return new CommandError(error.message, exitCodeOf(error));
  }
  return error;
}
