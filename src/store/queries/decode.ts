// Validation on read (reliability-catalogue P2): a row that does not decode into a domain value is reported as a
// StoreDataError naming the table, the key and the kind of problem, and a list leaves it out with an error log
// instead of failing whole. Never the stored value: a column may hold a secret, or whatever a hand edit put there,
// and both the log line and the error (which reaches logs and API errors) would carry it.
import type { JsonObject } from '../../inventory/json.js';
import type { Logger } from '../../observability/logger.js';
import { InvalidValueError } from '../../values/brand.js';
import { isOneOf } from '../../values/guards.js';
import { InvalidInputError, StoreDataError } from '../errors.js';

export function decoded<T>(table: string, key: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    // The parsers' messages quote their input: keep what was expected, drop what was found.
    if (error instanceof InvalidValueError) {
      throw new StoreDataError(table, key, `invalid ${error.kind}: expected ${error.expected}`);
    }
    if (error instanceof InvalidInputError) throw new StoreDataError(table, key, `invalid ${error.field}`);
    throw error;
  }
}

/** Decodes every row it can; the others are logged (table, key and kind of problem, never the row) and skipped. */
export function decodeAll<R, T>(rows: readonly R[], decode: (row: R) => T, logger: Logger): T[] {
  const values: T[] = [];
  for (const row of rows) {
    try {
      values.push(decode(row));
    } catch (error) {
      if (!(error instanceof StoreDataError)) throw error;
      logger.error({ table: error.table, key: error.key, reason: error.reason }, 'skipped a malformed row');
    }
  }
  return values;
}

/** Returns `stored` if it is already in the canonical form `parse` produces; stored values are never re-spelled. */
export function canonical<T extends string>(kind: string, stored: string, parse: (text: string) => T): T {
  const value = parse(stored);
  if (value !== stored) throw new InvalidValueError(kind, stored, 'its canonical form');
  return value;
}

/** `value` if it is one of `allowed`; else InvalidValueError (which decoded() turns into a StoreDataError). */
export function oneOf<T extends string>(kind: string, value: string, allowed: readonly T[]): T {
  if (!isOneOf(allowed, value)) throw new InvalidValueError(kind, value, `one of ${allowed.join(', ')}`);
  return value;
}

/** A JSON object from its stored text. */
export function jsonObject(stored: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(stored);
  } catch {
    throw new InvalidValueError('JSON details', '', 'valid JSON text');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidValueError('JSON details', '', 'a JSON object');
  }
  return value as JsonObject;
}

/** A JSON array from its stored text (a JSON aggregate of the same statement); null counts as empty. */
export function jsonArray(kind: string, stored: string | null): unknown[] {
  if (stored === null) return [];
  let value: unknown;
  try {
    value = JSON.parse(stored);
  } catch {
    throw new InvalidValueError(kind, '', 'a JSON array');
  }
  if (!Array.isArray(value)) throw new InvalidValueError(kind, '', 'a JSON array');
  return value;
}
