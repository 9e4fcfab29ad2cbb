import { describe, expect, it } from 'vitest';
import { parseLabAddress } from '../../src/lab/address.js';

describe('lab addresses', () => {
  it.each([
    ['198.18.0.1/24', '198.18.0.1', 24],
    ['198.19.255.254/16', '198.19.255.254', 16],
    ['198.18.0.1/15', '198.18.0.1', 15],
    ['192.0.2.10/24', '192.0.2.10', 24],
    ['198.51.100.7/25', '198.51.100.7', 25],
    ['203.0.113.1/30', '203.0.113.1', 30],
    ['203.0.113.0/31', '203.0.113.0', 31],
    ['192.0.2.9/32', '192.0.2.9', 32],
  ])('accepts %s inside a test range', (input, ip, prefixLength) => {
    expect(parseLabAddress(input)).toEqual({ ip, prefixLength, cidr: `${ip}/${prefixLength}` });
  });

  it.each([
    ['10.0.0.1/24'],
    ['192.168.1.10/24'],
    ['198.20.0.1/24'], // just past 198.18.0.0/15
    ['198.18.0.1/14'], // the segment would spill out of the range
    ['192.0.2.1/23'],
    ['8.8.8.8/32'],
  ])('refuses %s outside the test ranges', (input) => {
    expect(() => parseLabAddress(input)).toThrow(/outside the test ranges/);
  });

  it.each([['198.18.0.0/24'], ['198.18.0.255/24'], ['192.0.2.3/30']])(
    'refuses %s, the network or broadcast address',
    (input) => {
      expect(() => parseLabAddress(input)).toThrow(/network or broadcast/);
    },
  );

  it.each([['198.18.0.1'], ['198.18.0.1/24/1'], ['198.18.0.256/24'], ['198.18.0.1/33'], ['198.018.0.1/24']])(
    'refuses malformed %s',
    (input) => {
      expect(() => parseLabAddress(input)).toThrow();
    },
  );
});
