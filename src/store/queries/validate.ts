// Validation on write (reliability-catalogue P2, the CVE-2019-6474 lesson): nothing reaches the database that
// would not load back as the same domain value, in either dialect.
import { jsonProblem, type JsonObject } from '../../inventory/json.js';
import type { EpochMs } from '../../inventory/time.js';
import { InvalidValueError } from '../../values/brand.js';
import { formatSubnet, type Ipv4Subnet, parseIpv4Subnet } from '../../values/ipv4.js';
import { InvalidInputError } from '../errors.js';

// A lone surrogate has no UTF-8 encoding: both drivers would store U+FFFD and read back a different string.
const LONE_SURROGATE = /\p{Cs}/u;

/** Refuses text that either database would change or reject: NUL (PostgreSQL text cannot hold it). */
export function checkText(field: string, value: unknown, { allowEmpty = false } = {}): string {
  if (typeof value !== 'string') throw new InvalidInputError(field, 'must be a string');
  if (!allowEmpty && value.length === 0)
    throw new InvalidInputError(field, 'must not be empty (use null for none)');
  if (value.includes('\u0000')) throw new InvalidInputError(field, 'must not contain a NUL character');
  if (LONE_SURROGATE.test(value))
    throw new InvalidInputError(field, 'must be valid Unicode (lone surrogate)');
  return value;
}

/** Optional text is a non-empty string or null: one spelling of "absent", so reads compare equal to writes. */
export function checkOptionalText(field: string, value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : checkText(field, value);
}

export function checkEpochMs(field: string, value: EpochMs): EpochMs {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidInputError(
      field,
      `must be milliseconds since the epoch, a non-negative integer (got ${value})`,
    );
  }
  return value;
}

export function checkInteger(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(field, `must be an integer from ${min} to ${max} (got ${value})`);
  }
  return value;
}

/** The JSON text of `value`, refusing anything JSON.stringify would silently change (NaN, undefined, class instances). */
export function jsonText(field: string, value: JsonObject | undefined): string {
  // Checked as unknown: details come from every layer, and JSON.stringify accepts anything.
  const object: unknown = value ?? {};
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    throw new InvalidInputError(field, 'must be a JSON object');
  }
  const problem = jsonProblem(object);
  if (problem !== undefined) throw new InvalidInputError(field, problem);
  return JSON.stringify(object);
}

/**
 * Validation on write of a value that is typed already (Mac, Ipv4, Uuid, ClientId, MachineId): it must be exactly
 * what `parse` makes of it. Checked, never re-spelled (design.md §8.5: parse at the edge, then trust the type): a
 * value cast past its parser is refused, so what is stored is what the caller holds, and a lookup with that same
 * value finds it. Lookups themselves do not check: a key that is not canonical simply matches nothing.
 */
export function checkCanonical<T extends string>(field: string, value: T, parse: (text: string) => T): T {
  if (typeof value !== 'string') throw new InvalidInputError(field, 'must be a string');
  if (parsed(field, () => parse(value)) !== value) {
    throw new InvalidInputError(field, 'must be in canonical form, as its parser returns it');
  }
  return value;
}

/** A subnet whose network address is canonical and has no host bits, with an integer prefix length. */
export function checkSubnet(field: string, subnet: Ipv4Subnet): Ipv4Subnet {
  checkCanonical(field, formatSubnet(subnet), (text) => formatSubnet(parseIpv4Subnet(text)));
  return subnet;
}

/** Runs a value parser (parseMac, parseIpv4, …) and reports its failure as invalid input for `field`. */
export function parsed<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidValueError) throw new InvalidInputError(field, error.message);
    throw error;
  }
}
