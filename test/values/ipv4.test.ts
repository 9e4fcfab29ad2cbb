import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '../../src/values/brand.js';
import {
  type Ipv4,
  ipv4FromInt,
  ipv4ToInt,
  isHostAddress,
  MAX_USABLE_PREFIX_LENGTH,
  parseIpv4,
  parseIpv4Interface,
  parseIpv4Subnet,
  subnetBroadcast,
  subnetContains,
} from '../../src/values/ipv4.js';

const ip = (text: string): Ipv4 => parseIpv4(text);
const subnet = (text: string) => parseIpv4Subnet(text);

describe('subnetBroadcast', () => {
  it.each([
    ['192.0.2.0/24', '192.0.2.255'],
    ['10.0.0.0/8', '10.255.255.255'],
    ['172.16.4.0/22', '172.16.7.255'],
    ['192.0.2.8/30', '192.0.2.11'],
    ['192.0.2.8/31', '192.0.2.9'],
    ['192.0.2.8/32', '192.0.2.8'],
    ['0.0.0.0/0', '255.255.255.255'],
    ['255.255.255.0/24', '255.255.255.255'],
  ])('of %s is %s', (cidr, broadcast) => {
    expect(subnetBroadcast(subnet(cidr))).toBe(broadcast);
  });
});

describe('isHostAddress', () => {
  it.each([
    ['192.0.2.0/24', '192.0.2.1', true],
    ['192.0.2.0/24', '192.0.2.254', true],
    ['192.0.2.0/24', '192.0.2.0', false], // network
    ['192.0.2.0/24', '192.0.2.255', false], // broadcast
    ['192.0.2.0/24', '192.0.3.1', false], // outside
    ['192.0.2.0/24', '192.0.1.255', false],
    ['192.0.2.8/30', '192.0.2.9', true],
    ['192.0.2.8/30', '192.0.2.10', true],
    ['192.0.2.8/30', '192.0.2.8', false],
    ['192.0.2.8/30', '192.0.2.11', false],
    // RFC 3021: a /31 is a point-to-point link without network or broadcast address; a /32 is one host.
    ['192.0.2.8/31', '192.0.2.8', true],
    ['192.0.2.8/31', '192.0.2.9', true],
    ['192.0.2.8/31', '192.0.2.10', false],
    ['192.0.2.8/32', '192.0.2.8', true],
    ['192.0.2.8/32', '192.0.2.9', false],
  ])('in %s, %s: %s', (cidr, address, expected) => {
    expect(isHostAddress(subnet(cidr), ip(address))).toBe(expected);
  });

  it('holds for every address of a subnet but its first and last, up to the largest usable prefix', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: MAX_USABLE_PREFIX_LENGTH }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (base, prefixLength, offset) => {
          const s = parseIpv4Subnet(`${ipv4FromInt(base)}/${prefixLength}`, { strict: false });
          const size = 2 ** (32 - prefixLength);
          const address = ipv4FromInt(ipv4ToInt(s.network) + (offset % size));
          const edge = address === s.network || address === subnetBroadcast(s);
          expect(subnetContains(s, address)).toBe(true);
          expect(isHostAddress(s, address)).toBe(!edge);
        },
      ),
    );
  });
});

describe('MAX_USABLE_PREFIX_LENGTH', () => {
  it('is the longest prefix with a network, a broadcast and two hosts (a server and one client)', () => {
    const s = subnet(`192.0.2.0/${MAX_USABLE_PREFIX_LENGTH}`);
    const hosts = [0, 1, 2, 3]
      .map((i) => ipv4FromInt(ipv4ToInt(s.network) + i))
      .filter((a) => isHostAddress(s, a));
    expect(hosts).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(MAX_USABLE_PREFIX_LENGTH).toBe(30);
  });
});

describe('parseIpv4Interface', () => {
  it.each([
    ['192.0.2.10/24', '192.0.2.10', '192.0.2.0', 24],
    ['10.10.0.1/8', '10.10.0.1', '10.0.0.0', 8],
    [' 172.16.5.9/16 ', '172.16.5.9', '172.16.0.0', 16],
    ['192.0.2.9/31', '192.0.2.9', '192.0.2.8', 31],
    ['127.0.0.1/32', '127.0.0.1', '127.0.0.1', 32],
    ['0.0.0.0/0', '0.0.0.0', '0.0.0.0', 0],
  ])('%s is %s in %s/%i', (input, address, network, prefixLength) => {
    expect(parseIpv4Interface(input)).toEqual({ address, subnet: { network, prefixLength } });
  });

  it.each([
    '192.0.2.10',
    '192.0.2.10/',
    '/24',
    '192.0.2.10/33',
    '192.0.2.10/24/1',
    '192.0.2.010/24',
    'eth0',
    '',
  ])('%j is refused, with an example of what is expected', (input) => {
    expect(() => parseIpv4Interface(input)).toThrow(InvalidValueError);
    expect(() => parseIpv4Interface(input)).toThrow(
      /expected an address and prefix length such as 192\.0\.2\.10\/24/,
    );
  });
});

describe('subnetContains at the edges', () => {
  it.each([
    ['0.0.0.0/0', '255.255.255.255', true],
    ['0.0.0.0/0', '0.0.0.0', true],
    ['128.0.0.0/1', '255.255.255.255', true],
    ['128.0.0.0/1', '127.255.255.255', false],
    ['192.0.2.0/24', '192.0.2.255', true],
    ['192.0.2.0/24', '192.0.3.0', false],
    ['192.0.2.0/24', '192.0.1.255', false],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['198.51.100.7/32', '198.51.100.7', true],
    ['198.51.100.7/32', '198.51.100.6', false],
  ] as const)('%s contains %s: %s', (cidr, address, expected) => {
    expect(subnetContains(parseIpv4Subnet(cidr), parseIpv4(address))).toBe(expected);
  });

  it('is exactly "between the network and the broadcast address", for every prefix length 0..32', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (base, prefixLength, candidate) => {
          const s = parseIpv4Subnet(`${ipv4FromInt(base)}/${prefixLength}`, { strict: false });
          const network = ipv4ToInt(s.network);
          const inside = candidate >= network && candidate < network + 2 ** (32 - prefixLength);
          expect(subnetContains(s, ipv4FromInt(candidate))).toBe(inside);
        },
      ),
    );
  });
});
