import { type Brand, InvalidValueError } from './brand.js';

/** A dotted-quad IPv4 address in canonical form (no leading zeros, no spaces). */
export type Ipv4 = Brand<string, 'Ipv4'>;

/** A subnet in CIDR form with its network address canonical (`192.0.2.0/24`, never `192.0.2.7/24`). */
export interface Ipv4Subnet {
  readonly network: Ipv4;
  readonly prefixLength: number;
}

const QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Parses a dotted quad. Leading zeros are refused rather than guessed at: `010.0.0.1` is octal to inet_aton
 * and decimal to most people, and a boot server must not pick one silently.
 */
export function parseIpv4(input: string): Ipv4 {
  // Most inputs (the store's rows, datagram addresses, our own values) are canonical already: one pass over the
  // characters, without the regular expression and the arrays, returns them as they are.
  if (canonicalQuad(input) !== undefined) return input as Ipv4;
  const m = QUAD.exec(input.trim());
  const parts = m?.slice(1).map((p) => ({ text: p, value: Number(p) }));
  if (!parts || parts.some((p) => p.value > 255 || (p.text.length > 1 && p.text.startsWith('0')))) {
    throw new InvalidValueError('IPv4 address', input, 'a dotted quad such as 192.0.2.10');
  }
  return parts.map((p) => p.value).join('.') as Ipv4;
}

/** The address as an unsigned 32-bit integer, for arithmetic on pools and masks. */
export function ipv4ToInt(ip: Ipv4): number {
  return canonicalQuad(ip) ?? ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function ipv4FromInt(value: number): Ipv4 {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidValueError('IPv4 address', String(value), 'an integer from 0 to 4294967295');
  }
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.') as Ipv4;
}

export function ipv4FromBytes(bytes: Uint8Array): Ipv4 {
  if (bytes.length !== 4)
    throw new InvalidValueError('IPv4 address', `${bytes.length} bytes`, 'exactly 4 bytes');
  return `${bytes[0] ?? 0}.${bytes[1] ?? 0}.${bytes[2] ?? 0}.${bytes[3] ?? 0}` as Ipv4;
}

export function ipv4ToBytes(ip: Ipv4): Uint8Array {
  const value = canonicalQuad(ip);
  // Anything but a canonical quad (an Ipv4 is one; an unchecked string may not be) keeps the old, lenient reading.
  if (value === undefined) return Uint8Array.from(ip.split('.'), Number);
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

const DOT = 0x2e;
const DIGIT_0 = 0x30;

/**
 * The address of a canonical dotted quad (what parseIpv4 returns unchanged: four decimal parts of 0–255, no
 * leading zeros, nothing else) as an unsigned 32-bit integer; undefined for any other text. A loop over the
 * characters: this runs several times per DHCP datagram (decode, encode, lease index, store rows).
 */
function canonicalQuad(text: string): number | undefined {
  const length = text.length;
  if (length < 7 || length > 15) return undefined;
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= length; i++) {
    const c = i === length ? DOT : text.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || part > 255) return undefined;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
      continue;
    }
    const digit = c - DIGIT_0;
    if (digit < 0 || digit > 9 || (digits === 1 && part === 0)) return undefined;
    part = part * 10 + digit;
    digits++;
  }
  return parts === 4 ? value : undefined;
}

export const IPV4_ANY = '0.0.0.0' as Ipv4;

/** A datagram's source address as an Ipv4, or 0.0.0.0 when it is not a dotted quad (an IPv6 peer, a test stub). */
export function ipv4OrAny(text: string): Ipv4 {
  try {
    return parseIpv4(text);
  } catch {
    return IPV4_ANY;
  }
}
export const IPV4_BROADCAST = '255.255.255.255' as Ipv4;

/** A peer address as IPv4: dotted quads, and IPv4-mapped IPv6 (`::ffff:192.0.2.7`) from a dual-stack socket. */
export function peerIpv4(text: string): Ipv4 | undefined {
  try {
    return parseIpv4(text.startsWith('::ffff:') ? text.slice('::ffff:'.length) : text);
  } catch {
    return undefined;
  }
}

export function prefixToMask(prefixLength: number): Ipv4 {
  return ipv4FromInt(maskBits(prefixLength));
}

/**
 * The netmask of a prefix length as an unsigned 32-bit integer. `<< 32` is `<< 0` in JavaScript (the shift count
 * is taken mod 32), hence the case of /0.
 */
function maskBits(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Parses `a.b.c.d/n`. With `strict`, host bits must be zero (a subnet in a config); without, they are cleared. */
export function parseIpv4Subnet(input: string, { strict = true } = {}): Ipv4Subnet {
  const [addr, len, ...rest] = input.trim().split('/');
  const prefixLength = Number(len);
  if (
    addr === undefined ||
    len === undefined ||
    rest.length > 0 ||
    !/^\d{1,2}$/.test(len) ||
    prefixLength > 32
  ) {
    throw new InvalidValueError('IPv4 subnet', input, 'CIDR notation such as 192.0.2.0/24');
  }
  const ip = parseIpv4(addr);
  const network = ipv4FromInt((ipv4ToInt(ip) & maskBits(prefixLength)) >>> 0);
  if (strict && network !== ip) {
    throw new InvalidValueError('IPv4 subnet', input, `the network address ${network}/${prefixLength}`);
  }
  return { network, prefixLength };
}

// Integer arithmetic throughout: the DHCP server asks this for every packet (choosing the subnet) and every
// requested address, and the mask as a dotted quad would be built and parsed back each time.
export function subnetContains(subnet: Ipv4Subnet, ip: Ipv4): boolean {
  return (ipv4ToInt(ip) & maskBits(subnet.prefixLength)) >>> 0 === ipv4ToInt(subnet.network);
}

export function formatSubnet(subnet: Ipv4Subnet): string {
  return `${subnet.network}/${subnet.prefixLength}`;
}

/**
 * The longest prefix of a segment fleetboot can serve: a /30 still has a network address, a broadcast address
 * and two hosts (this server and one client). A /31 (RFC 3021) or /32 has no broadcast address to answer
 * DHCPDISCOVER on and no address to lease.
 */
export const MAX_USABLE_PREFIX_LENGTH = 30;

/** The all-ones address of the subnet: its broadcast address up to a /30; just its last address in a /31 or /32. */
export function subnetBroadcast(subnet: Ipv4Subnet): Ipv4 {
  const hostBits = ~maskBits(subnet.prefixLength) >>> 0;
  return ipv4FromInt((ipv4ToInt(subnet.network) | hostBits) >>> 0);
}

/**
 * Whether `ip` can be an interface's address in `subnet`: inside it, and neither its network nor its broadcast
 * address. In a /31 both addresses are hosts (RFC 3021 §2.1) and in a /32 the one address is.
 */
export function isHostAddress(subnet: Ipv4Subnet, ip: Ipv4): boolean {
  if (!subnetContains(subnet, ip)) return false;
  if (subnet.prefixLength > MAX_USABLE_PREFIX_LENGTH) return true;
  return ip !== subnet.network && ip !== subnetBroadcast(subnet);
}

/** An address on an interface together with the subnet it is in, as `ip address` and os.networkInterfaces() show it. */
export interface Ipv4Interface {
  readonly address: Ipv4;
  readonly subnet: Ipv4Subnet;
}

/**
 * Parses `a.b.c.d/n` as an interface address (`192.0.2.10/24` → 192.0.2.10 in 192.0.2.0/24): unlike a subnet in a
 * config, the host bits are the point. Whether the address may be a host's is isHostAddress's question.
 */
export function parseIpv4Interface(input: string): Ipv4Interface {
  const fail = (): never => {
    throw new InvalidValueError(
      'IPv4 interface address',
      input,
      'an address and prefix length such as 192.0.2.10/24',
    );
  };
  const [addressText, lengthText, ...rest] = input.trim().split('/');
  if (addressText === undefined || lengthText === undefined || rest.length > 0) return fail();
  try {
    return { address: parseIpv4(addressText), subnet: parseIpv4Subnet(input, { strict: false }) };
  } catch {
    // The parts' own errors would name an "IPv4 subnet" the user did not write.
    return fail();
  }
}
