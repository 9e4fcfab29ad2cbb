import { type Brand, InvalidValueError } from './brand.js';

/** A host or domain name in RFC 1123 §2.1 syntax, lower case (DNS compares names ignoring case, RFC 4343). */
export type Hostname = Brand<string, 'Hostname'>;
/** One label of a Hostname: what option 12 usually carries, and what a machine calls itself. */
export type HostLabel = Brand<string, 'HostLabel'>;

export const HOSTNAME_EXPECTED = 'a DNS name such as node01 or lab.example.org (RFC 1123)';
export const HOST_LABEL_EXPECTED = 'a host name without dots such as node01 (RFC 1123)';

const MAX_NAME = 253;
const MAX_LABEL = 63;
// Letters, digits and hyphens, not starting or ending with a hyphen (RFC 1123 §2.1 allows a leading digit).
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
const DIGITS = /^[0-9]+$/;

/**
 * Parses a host name or domain: dot-separated labels of 1–63 letters, digits and inner hyphens, 253 characters in
 * all, no trailing dot. Whitespace is not trimmed: these names also come from DHCP packets, where a name with a
 * space or newline in it is garbage to drop, not to repair (catalogue D18). Refuses a name whose last label is all
 * digits, such as 10.0.0.5: RFC 1123 §2.1 says a host name never has the dotted-decimal form, because the
 * highest-level label is alphabetic.
 */
export function parseHostname(input: string): Hostname {
  const labels = input.split('.');
  const fail = (expected: string): never => {
    throw new InvalidValueError('host name', input, expected);
  };
  if (input.length > MAX_NAME) fail(`a DNS name of at most ${MAX_NAME} characters (RFC 1123)`);
  if (labels.some((label) => label.length > MAX_LABEL)) {
    fail(`a DNS name whose dot-separated labels have at most ${MAX_LABEL} characters each (RFC 1123)`);
  }
  if (!labels.every((label) => LABEL.test(label))) fail(HOSTNAME_EXPECTED);
  if (labels.length > 1 && DIGITS.test(labels.at(-1) ?? '')) {
    fail('a name, not an address: the last label of a DNS name is not all digits (RFC 1123 §2.1)');
  }
  return input.toLowerCase() as Hostname;
}

/** Parses a single label (no dots), with the rules of parseHostname. */
export function parseHostLabel(input: string): HostLabel {
  if (input.length > MAX_LABEL || !LABEL.test(input)) {
    throw new InvalidValueError('host name', input, HOST_LABEL_EXPECTED);
  }
  return input.toLowerCase() as HostLabel;
}

export function isHostname(input: string): boolean {
  try {
    parseHostname(input);
    return true;
  } catch {
    return false;
  }
}
