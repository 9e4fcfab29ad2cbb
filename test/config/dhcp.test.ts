import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { diagnosticsOf, loadText, problemsOf, scratchDir } from './support.js';

// Issue 2, item 8, and the relations between DHCP values that the schema alone cannot express.

const dir = scratchDir();
const load = (config: object) => loadText(dir, stringify(config)).config;
const problems = (config: object) => problemsOf(dir, stringify(config));

const full = (subnet: object, more: object = {}) => ({
  dhcp: { mode: 'full', interfaces: ['eth1'], subnets: [{ subnet: '10.0.0.0/24', ...subnet }], ...more },
});

describe('the safety rule: no DHCP on an interface the operator did not name', () => {
  it('is off by default, with no interface', () => {
    expect(load({}).dhcp).toEqual({
      mode: 'off',
      interfaces: [],
      subnets: [],
      rogueCheckInterval: 300,
      bootFiles: {},
    });
  });

  it('allows off with interfaces named (nothing is answered anyway)', () => {
    expect(load({ dhcp: { interfaces: ['eth1'] } }).dhcp.mode).toBe('off');
  });

  it.each(['proxy', 'full', 'auto'])('refuses mode %s without interfaces, pointing at dhcp.mode', (mode) => {
    const [d] = diagnosticsOf(dir, `dhcp:\n  subnets: [{subnet: 10.0.0.0/24}]\n  mode: ${mode}\n`);
    expect(d).toMatchObject({
      path: 'dhcp.interfaces',
      message: `dhcp.mode is ${mode}, but no interface is named`,
      origin: { kind: 'file', line: 3, column: 9 },
    });
    expect(d?.hint).toMatch(/only on the interfaces listed in dhcp.interfaces/);
  });

  it.each(['full', 'auto'])('refuses mode %s without subnets to lease from', (mode) => {
    expect(problems({ dhcp: { mode, interfaces: ['eth1'] } })).toEqual([
      `dhcp.subnets: dhcp.mode is ${mode}, which leases addresses, but no subnet is configured`,
    ]);
  });

  it('reports both when full mode has neither', () => {
    expect(problems({ dhcp: { mode: 'full' } })).toHaveLength(2);
  });

  it('allows proxy mode without subnets: the existing DHCP server leases', () => {
    expect(load({ dhcp: { mode: 'proxy', interfaces: ['eth1'] } }).dhcp).toEqual({
      mode: 'proxy',
      interfaces: ['eth1'],
      subnets: [],
      rogueCheckInterval: 300,
      bootFiles: {},
    });
  });
});

describe('a full-mode subnet', () => {
  it('comes out typed, with the RFC 2131 §4.4.5 timers filled in', () => {
    const config = load(
      full({
        pools: [{ start: '10.0.0.100', end: '10.0.0.199' }],
        router: '10.0.0.1',
        dns: ['10.0.0.1', '9.9.9.9'],
      }),
    );
    expect(config.dhcp.subnets).toEqual([
      {
        subnet: { network: '10.0.0.0', prefixLength: 24 },
        pools: [{ start: '10.0.0.100', end: '10.0.0.199' }],
        router: '10.0.0.1',
        dns: ['10.0.0.1', '9.9.9.9'],
        leaseTime: 3600,
        renewalTime: 1800,
        rebindingTime: 3150,
        reservations: [],
      },
    ]);
  });

  it('may have only reservations and no pool', () => {
    const config = load(full({ reservations: [{ mac: '52:54:00:00:00:01', ip: '10.0.0.5' }] }));
    expect(config.dhcp.subnets[0]?.pools).toEqual([]);
  });
});

describe('pools', () => {
  it.each([
    [
      [{ start: '9.255.255.250', end: '10.0.0.20' }],
      'pools[0].start: 9.255.255.250 is outside the subnet 10.0.0.0/24',
    ],
    [[{ start: '10.0.0.10', end: '10.0.1.20' }], 'pools[0].end: 10.0.1.20 is outside the subnet 10.0.0.0/24'],
    [
      [{ start: '10.0.0.0', end: '10.0.0.20' }],
      'pools[0].start: 10.0.0.0 is the network address of 10.0.0.0/24',
    ],
    [
      [{ start: '10.0.0.10', end: '10.0.0.255' }],
      'pools[0].end: 10.0.0.255 is the broadcast address of 10.0.0.0/24',
    ],
    [[{ start: '10.0.0.20', end: '10.0.0.10' }], 'pools[0]: starts after it ends (10.0.0.20 > 10.0.0.10)'],
    [
      [
        { start: '10.0.0.10', end: '10.0.0.20' },
        { start: '10.0.0.20', end: '10.0.0.30' },
      ],
      'pools[1]: overlaps dhcp.subnets[0].pools[0] (10.0.0.10 – 10.0.0.20)',
    ],
    [
      [
        { start: '10.0.0.10', end: '10.0.0.50' },
        { start: '10.0.0.20', end: '10.0.0.30' },
      ],
      'pools[1]: overlaps dhcp.subnets[0].pools[0] (10.0.0.10 – 10.0.0.50)',
    ],
  ])('%j: %s', (pools, expected) => {
    const [problem, ...rest] = problems(full({ pools }));
    expect(rest).toEqual([]);
    expect(problem?.startsWith(`dhcp.subnets[0].${expected}`)).toBe(true);
  });

  it('adjacent ranges and single addresses are fine', () => {
    const pools = [
      { start: '10.0.0.10', end: '10.0.0.20' },
      { start: '10.0.0.21', end: '10.0.0.30' },
      { start: '10.0.0.40', end: '10.0.0.40' },
    ];
    expect(load(full({ pools })).dhcp.subnets[0]?.pools).toHaveLength(3);
  });

  it('a pool with a bad address does not hide the problems of the others', () => {
    const pools = [
      { start: '10.0.0.x', end: '10.0.0.20' },
      { start: '10.0.0.30', end: '10.0.0.25' },
    ];
    expect(problems(full({ pools }))).toEqual([
      'dhcp.subnets[0].pools[0].start: expected a dotted quad such as 192.0.2.10, got "10.0.0.x"',
      'dhcp.subnets[0].pools[1]: starts after it ends (10.0.0.30 > 10.0.0.25)',
    ]);
  });
});

describe('router and reservations', () => {
  it('the router is a host of the subnet', () => {
    expect(problems(full({ router: '10.0.1.1' }))).toEqual([
      'dhcp.subnets[0].router: 10.0.1.1 is outside the subnet 10.0.0.0/24 (mask 255.255.255.0)',
    ]);
  });

  it.each([
    [[{ mac: '52:54:00:00:00:01', ip: '10.0.1.5' }], 'reservations[0].ip: 10.0.1.5 is outside the subnet'],
    [
      [{ mac: '52:54:00:00:00:01', ip: '10.0.0.255' }],
      'reservations[0].ip: 10.0.0.255 is the broadcast address',
    ],
    [
      [
        { mac: '52:54:00:00:00:01', ip: '10.0.0.5' },
        { mac: '52-54-00-00-00-01', ip: '10.0.0.6' },
      ],
      'reservations[1].mac: 52:54:00:00:00:01 is already reserved by dhcp.subnets[0].reservations[0]',
    ],
    [
      [
        { mac: '52:54:00:00:00:01', ip: '10.0.0.5' },
        { mac: '52:54:00:00:00:02', ip: '10.0.0.5' },
      ],
      'reservations[1].ip: 10.0.0.5 is already reserved by dhcp.subnets[0].reservations[0]',
    ],
  ])('%j: %s', (reservations, expected) => {
    const [problem, ...rest] = problems(full({ reservations }));
    expect(rest).toEqual([]);
    expect(problem?.startsWith(`dhcp.subnets[0].${expected}`)).toBe(true);
  });

  // The gateway's address leased to a client takes the network down for everyone on it.
  it('the router is not in a pool, and the problem points at the router key', () => {
    const text =
      'dhcp:\n  subnets:\n    - subnet: 10.0.0.0/24\n      pools:\n' +
      '        - {start: 10.0.0.10, end: 10.0.0.49}\n        - {start: 10.0.0.100, end: 10.0.0.199}\n' +
      '      router: 10.0.0.150\n';
    const [d, ...rest] = diagnosticsOf(dir, text);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      path: 'dhcp.subnets[0].router',
      message:
        '10.0.0.150 is inside dhcp.subnets[0].pools[1] (10.0.0.100 – 10.0.0.199), so it could be leased to a client',
      origin: { kind: 'file', line: 7, column: 15 },
    });
    expect(d?.hint).toMatch(/move the router out of the pool, or shrink the pool/);
  });

  it.each(['10.0.0.100', '10.0.0.199'])('a router at the edge of a pool (%s) is in it', (router) => {
    expect(problems(full({ router, pools: [{ start: '10.0.0.100', end: '10.0.0.199' }] }))).toHaveLength(1);
  });

  it('a router just outside the pools is fine', () => {
    const pools = [{ start: '10.0.0.100', end: '10.0.0.199' }];
    expect(load(full({ router: '10.0.0.99', pools })).dhcp.subnets[0]?.router).toBe('10.0.0.99');
    expect(load(full({ router: '10.0.0.200', pools })).dhcp.subnets[0]?.router).toBe('10.0.0.200');
  });

  it('a reservation is not in a pool, with a hint to move one of them', () => {
    const [d, ...rest] = diagnosticsOf(
      dir,
      stringify(
        full({
          pools: [{ start: '10.0.0.100', end: '10.0.0.199' }],
          reservations: [
            { mac: '52:54:00:00:00:01', ip: '10.0.0.5' },
            { mac: '52:54:00:00:00:02', ip: '10.0.0.100' },
          ],
        }),
      ),
    );
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      path: 'dhcp.subnets[0].reservations[1].ip',
      message: '10.0.0.100 is inside dhcp.subnets[0].pools[0] (10.0.0.100 – 10.0.0.199)',
    });
    expect(d?.hint).toMatch(/move the reservation or the pool/);
    expect(d?.hint).toMatch(/dnsmasq and Kea/);
  });

  it('one MAC may have a reservation in each of two subnets', () => {
    const config = load({
      dhcp: {
        subnets: [
          { subnet: '10.0.0.0/24', reservations: [{ mac: '52:54:00:00:00:01', ip: '10.0.0.5' }] },
          { subnet: '10.0.1.0/24', reservations: [{ mac: '52:54:00:00:00:01', ip: '10.0.1.5' }] },
        ],
      },
    });
    expect(config.dhcp.subnets).toHaveLength(2);
  });
});

describe('subnets', () => {
  it('do not overlap', () => {
    expect(problems({ dhcp: { subnets: [{ subnet: '10.0.0.0/16' }, { subnet: '10.0.5.0/24' }] } })).toEqual([
      'dhcp.subnets[1].subnet: overlaps dhcp.subnets[0] (10.0.0.0/16)',
    ]);
  });

  it.each([31, 32])('a /%i leaves no room for clients', (prefix) => {
    expect(problems({ dhcp: { subnets: [{ subnet: `10.0.0.0/${prefix}` }] } })).toEqual([
      `dhcp.subnets[0].subnet: a /${prefix} has no addresses to give to clients`,
    ]);
  });
});

describe('lease timers (renewal < rebinding < lease)', () => {
  it.each([
    [{ leaseTime: 600 }, 300, 525],
    [{ leaseTime: 600, renewalTime: 100 }, 100, 525],
    [{ leaseTime: 600, rebindingTime: 500 }, 300, 500],
    [{ leaseTime: 600, renewalTime: 520, rebindingTime: 599 }, 520, 599],
    [{ leaseTime: 10 }, 5, 8],
  ])('%j gives T1 %i and T2 %i', (timers, renewalTime, rebindingTime) => {
    expect(load(full(timers)).dhcp.subnets[0]).toMatchObject({ renewalTime, rebindingTime });
  });

  it.each([
    [{ renewalTime: 3150 }, 'renewalTime: must be less than rebindingTime (3150, 0.875 × leaseTime)'],
    [{ renewalTime: 100, rebindingTime: 100 }, 'renewalTime: must be less than rebindingTime (100)'],
    [{ rebindingTime: 1800 }, 'rebindingTime: must be greater than renewalTime (1800, half of leaseTime)'],
    [{ rebindingTime: 3600 }, 'rebindingTime: must be less than leaseTime (3600)'],
    [
      { leaseTime: 100, renewalTime: 100 },
      'renewalTime: must be less than rebindingTime (87, 0.875 × leaseTime)',
    ],
  ])('%j: %s', (timers, expected) => {
    expect(problems(full(timers))).toEqual([`dhcp.subnets[0].${expected}`]);
  });
});

describe('dhcp.rogueCheckInterval', () => {
  it.each([0, 30, 86400])('accepts %i seconds', (seconds) => {
    expect(load(full({}, { rogueCheckInterval: seconds })).dhcp.rogueCheckInterval).toBe(seconds);
  });

  it.each([1, 29])('refuses %i seconds at its line and column: 0 (off) or at least 30', (seconds) => {
    const text = `dhcp:\n  mode: proxy\n  interfaces: [eth1]\n  rogueCheckInterval: ${seconds}\n`;
    const [d] = diagnosticsOf(dir, text);
    expect(d).toMatchObject({
      path: 'dhcp.rogueCheckInterval',
      message: 'must be 0 (no checks) or at least 30 seconds',
      origin: { kind: 'file', line: 4, column: 23 },
    });
  });

  it('refuses more than a day, and a negative number', () => {
    expect(problems(full({}, { rogueCheckInterval: 86401 }))).toHaveLength(1);
    expect(problems(full({}, { rogueCheckInterval: -1 }))).toHaveLength(1);
  });
});

describe('dhcp.bootFiles', () => {
  const withBootFiles = (bootFiles: object) => ({ dhcp: { mode: 'proxy', interfaces: ['eth1'], bootFiles } });

  it('keeps only what is written, under the boot file table’s firmware names', () => {
    const config = load(
      withBootFiles({
        uefiX64: 'shimx64.efi',
        bios: '/pxelinux.0',
        uefiHttpX64: 'https://boot.example/{next-server}/x64.efi',
        ipxe: 'http://{next-server}:8080/menu.ipxe',
      }),
    );
    expect(config.dhcp.bootFiles).toEqual({
      'uefi-x64': 'shimx64.efi',
      bios: 'pxelinux.0', // a TFTP path, relative to the root
      'uefi-http-x64': 'https://boot.example/{next-server}/x64.efi',
      ipxe: 'http://{next-server}:8080/menu.ipxe',
    });
  });

  it.each([
    ['uefiHttpX64', 'snponly.efi', /an http\(s\) URL/],
    ['bios', '../etc/shadow', /a TFTP path/],
    ['bios', 'has space.0', /a TFTP path/],
    ['ipxe', 'http://user:secret@{next-server}/boot.ipxe', /without a user name or password/],
    ['uefiX64', `${'a/'.repeat(60)}{next-server}.efi`, /at most 127/],
  ])('refuses %s: %s, at its line and column', (key, value, expected) => {
    const text = `dhcp:\n  mode: proxy\n  interfaces: [eth1]\n  bootFiles:\n    ${key}: "${value}"\n`;
    const diagnostics = diagnosticsOf(dir, text);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      path: `dhcp.bootFiles.${key}`,
      origin: { kind: 'file', line: 5, column: 5 + key.length + 2 },
    });
    expect(diagnostics[0]?.message).toMatch(expected);
    // A secret in a refused value is not echoed back.
    expect(JSON.stringify(diagnostics)).not.toContain('secret');
  });

  it('refuses an unknown firmware key, suggesting the right one', () => {
    const [d] = diagnosticsOf(dir, 'dhcp:\n  bootFiles:\n    uefix64: snponly.efi\n');
    expect(d).toMatchObject({ path: 'dhcp.bootFiles.uefix64' });
    expect(d?.hint).toMatch(/uefiX64/);
  });
});
