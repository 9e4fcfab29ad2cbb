// Validation on read (reliability-catalogue P2): a row that does not decode into a domain value is reported as a
// StoreDataError naming the table and key, and a list leaves it out with an error log instead of failing whole.
import type { JsonObject } from '../../inventory/json.js';
import type { Logger } from '../../observability/logger.js';
import { InvalidValueError } from '../../values/brand.js';
import { InvalidInputError, StoreDataError } from '../errors.js';

export function decoded<T>(table: string, key: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof InvalidValueError || error instanceof InvalidInputError) {
      throw new StoreDataError(table, key, error.message);
    }
    throw error;
  }
}

/** Decodes every row it can; the others are logged (with table and key, never the row) and skipped. */
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
  if (value !== stored) throw new InvalidValueError(kind, stored, `its canonical form ${value}`);
  return value;
}

export function oneOf<T extends string>(kind: string, stored: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(stored)) {
    throw new InvalidValueError(kind, stored, `one of ${allowed.join(', ')}`);
  }
  return stored as T;
}

/** A JSON object from its stored text. */
export function jsonObject(stored: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(stored);
  } catch {
    throw new InvalidValueError('JSON details', stored.slice(0, 40), 'valid JSON text');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidValueError('JSON details', stored.slice(0, 40), 'a JSON object');
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
