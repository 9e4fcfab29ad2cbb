import { describe, expect, it } from 'vitest';
import { parseLabAddress, parseLabMac } from '../../src/lab/address.js';
import { LabError } from '../../src/lab/errors.js';

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
    const error = catchError(() => parseLabAddress(input));
    expect(error).toBeInstanceOf(LabError);
    expect((error as Error).message).toBe(
      `lab address ${input} is outside the test ranges (198.18.0.0/15, 192.0.2.0/24, 198.51.100.0/24, ` +
        '203.0.113.0/24): a lab must never use an address that exists on a real network',
    );
  });

  it.each([['198.18.0.0/24'], ['198.18.0.255/24'], ['192.0.2.3/30']])(
    'refuses %s, the network or broadcast address',
    (input) => {
      const error = catchError(() => parseLabAddress(input));
      expect(error).toBeInstanceOf(LabError);
      expect((error as Error).message).toBe(
        `lab address ${input} is the network or broadcast address of its segment`,
      );
    },
  );

  const FORMAT = 'expected a.b.c.d/nn such as 198.18.0.1/24';
  it.each([
    ['198.18.0.1'],
    ['198.18.0.1/24/1'],
    ['198.18.0.256/24'],
    ['198.018.0.1/24'],
    ['198.18.0.1/33'],
    ['198.18.0.1/'],
    ['/24'],
  ])('refuses malformed %s with a LabError that says what is expected', (input) => {
    const message = `lab address ${JSON.stringify(input)}: ${FORMAT}`;
    const error = catchError(() => parseLabAddress(input));
    // One error type for every refusal: callers (addHost, fleetboot lab) catch LabError, not value errors.
    expect(error).toBeInstanceOf(LabError);
    expect((error as Error).message).toBe(message);
  });
});

describe('lab MACs', () => {
  it('accepts any spelling and canonicalises it', () => {
    expect(parseLabMac('52-54-00-AB-CD-EF')).toBe('52:54:00:ab:cd:ef');
  });

  it('refuses a malformed MAC with a LabError that keeps the detail', () => {
    const error = catchError(() => parseLabMac('nope'));
    expect(error).toBeInstanceOf(LabError);
    expect((error as Error).message).toBe(
      'lab MAC "nope": invalid MAC address "nope": expected six hex octets such as 52:54:00:12:34:56',
    );
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected a throw');
}
