import { InvalidValueError } from '../values/brand.js';
import {
  formatSubnet,
  type Ipv4,
  type Ipv4Interface,
  type Ipv4Subnet,
  isHostAddress,
  parseIpv4Interface,
  parseIpv4Subnet,
  subnetContains,
} from '../values/ipv4.js';
import { type Mac, parseMac } from '../values/mac.js';
import { LabError } from './errors.js';

/** An interface address inside the lab: the host's own address and the prefix length of its segment. */
export interface LabAddress {
  readonly ip: Ipv4;
  readonly prefixLength: number;
  /** `a.b.c.d/nn`, as `ip address add` takes it. */
  readonly cidr: string;
}

/**
 * The only ranges a lab may use: RFC 2544's benchmarking block and RFC 5737's three documentation blocks. They are
 * never routed on a real network, so a lab address that leaked anyway could not reach or impersonate anything.
 */
export const LAB_RANGES: readonly Ipv4Subnet[] = [
  '198.18.0.0/15', // RFC 2544
  '192.0.2.0/24', // RFC 5737 TEST-NET-1
  '198.51.100.0/24', // RFC 5737 TEST-NET-2
  '203.0.113.0/24', // RFC 5737 TEST-NET-3
].map((cidr) => parseIpv4Subnet(cidr));

const FORMAT = 'expected a.b.c.d/nn such as 198.18.0.1/24';

/** Parses `a.b.c.d/nn` and checks the whole segment lies in a test range and the address is a host address. */
export function parseLabAddress(input: string): LabAddress {
  const { address: ip, subnet: segment } = parseInterface(input);
  const range = LAB_RANGES.find(
    (r) => segment.prefixLength >= r.prefixLength && subnetContains(r, segment.network),
  );
  if (range === undefined) {
    throw new LabError(
      `lab address ${input} is outside the test ranges (${LAB_RANGES.map(formatSubnet).join(', ')}): ` +
        'a lab must never use an address that exists on a real network',
    );
  }
  // A /31 or /32 has no network or broadcast address to avoid (RFC 3021); isHostAddress knows.
  if (!isHostAddress(segment, ip)) {
    throw new LabError(`lab address ${input} is the network or broadcast address of its segment`);
  }
  return { ip, prefixLength: segment.prefixLength, cidr: `${ip}/${segment.prefixLength}` };
}

/** A MAC for a lab interface, in canonical form; a LabError (not the value parser's error) when malformed. */
export function parseLabMac(input: string): Mac {
  try {
    return parseMac(input);
  } catch (error: unknown) {
    if (!(error instanceof InvalidValueError)) throw error;
    throw new LabError(`lab MAC ${JSON.stringify(input)}: ${error.message}`, { cause: error });
  }
}

/**
 * The address and its segment. The value parser throws InvalidValueError; callers of the lab (addHost, `fleetboot
 * lab`) handle one error type, so a malformed address becomes a LabError in the lab's words (the cause is kept).
 */
function parseInterface(input: string): Ipv4Interface {
  try {
    return parseIpv4Interface(input);
  } catch (error: unknown) {
    if (!(error instanceof InvalidValueError)) throw error;
    throw new LabError(`lab address ${JSON.stringify(input)}: ${FORMAT}`, { cause: error });
  }
}
