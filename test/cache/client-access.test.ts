import { describe, expect, it } from 'vitest';
import { clientAllowed, defaultClientNetworks, LOOPBACK } from '../../src/cache/client-access.js';
import { parseIpv4Subnet } from '../../src/values/ipv4.js';

const lab = parseIpv4Subnet('198.18.0.0/24');

describe('clientAllowed', () => {
  it.each([
    ['198.18.0.7', true],
    ['::ffff:198.18.0.7', true],
    ['127.0.0.1', true],
    ['::1', true],
    ['198.18.1.7', false],
    ['::ffff:203.0.113.9', false],
    ['2001:db8::1', false],
    ['not an address', false],
    [undefined, false],
  ])('%s → %s', (remote, allowed) => {
    expect(clientAllowed(remote, [LOOPBACK, lab])).toBe(allowed);
  });

  it('refuses loopback when only other networks are allowed', () => {
    expect(clientAllowed('127.0.0.1', [lab])).toBe(false);
    expect(clientAllowed('::1', [lab])).toBe(false);
  });
});

describe('defaultClientNetworks', () => {
  it('is loopback, the DHCP subnets and the interface subnets, each once', () => {
    expect(defaultClientNetworks([lab], [lab, parseIpv4Subnet('192.0.2.0/24')])).toEqual([
      LOOPBACK,
      lab,
      parseIpv4Subnet('192.0.2.0/24'),
    ]);
  });
});
