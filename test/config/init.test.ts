import { readFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  chooseInitInterface,
  detectInterfaces,
  type InterfaceCandidate,
  interfacesFromOs,
  parseDefaultRouteInterfaces,
  renderStarterConfig,
} from '../../src/config/init.js';
import { parseIpv4 } from '../../src/values/ipv4.js';
import { loadText, scratchDir } from './support.js';

const dir = scratchDir();
const fixture = readFileSync(new URL('fixtures/proc-net-route.txt', import.meta.url), 'utf8');

describe('parseDefaultRouteInterfaces', () => {
  it('finds the interfaces with an up route to 0.0.0.0/0', () => {
    // wlan0's default route is not up (flags 0002), the others are subnet routes.
    expect([...parseDefaultRouteInterfaces(fixture)]).toEqual(['enp1s0']);
  });

  it('finds none in a table without a default route, or in an unexpected format', () => {
    const withoutDefault = fixture
      .split('\n')
      .filter((line) => !line.includes('\t00000000\t0101A8C0'))
      .join('\n');
    expect(parseDefaultRouteInterfaces(withoutDefault).size).toBe(0);
    expect(parseDefaultRouteInterfaces('').size).toBe(0);
    expect(parseDefaultRouteInterfaces('something else\n1 2 3\n').size).toBe(0);
  });

  it('reads the routing table of this machine without failing', () => {
    expect(() => detectInterfaces()).not.toThrow();
  });
});

const v4 = (
  address: string,
  cidr: string,
  mac = '52:54:00:00:00:01',
  internal = false,
): NetworkInterfaceInfo => ({
  address,
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac,
  internal,
  cidr,
});

describe('interfacesFromOs', () => {
  it('keeps the first IPv4 address, the MAC, loopback and the default route, sorted by name', () => {
    const candidates = interfacesFromOs(
      {
        lo: [v4('127.0.0.1', '127.0.0.1/8', '00:00:00:00:00:00', true)],
        enp2s0: [
          {
            address: 'fe80::1',
            netmask: 'ffff:ffff:ffff:ffff::',
            family: 'IPv6',
            mac: '52:54:00:00:00:02',
            internal: false,
            cidr: 'fe80::1/64',
            scopeid: 2,
          },
          v4('10.10.0.1', '10.10.0.1/24', '52:54:00:00:00:02'),
          v4('10.10.1.1', '10.10.1.1/24', '52:54:00:00:00:02'),
        ],
        enp1s0: [v4('192.168.1.20', '192.168.1.20/24', '52:54:00:00:00:01')],
        enp3s0: [],
      },
      new Set(['enp1s0']),
    );
    expect(candidates).toEqual([
      {
        name: 'enp1s0',
        ipv4: { address: '192.168.1.20', prefixLength: 24 },
        mac: '52:54:00:00:00:01',
        loopback: false,
        defaultRoute: true,
      },
      {
        name: 'enp2s0',
        ipv4: { address: '10.10.0.1', prefixLength: 24 },
        mac: '52:54:00:00:00:02',
        loopback: false,
        defaultRoute: false,
      },
      { name: 'enp3s0', loopback: false, defaultRoute: false },
      { name: 'lo', ipv4: { address: '127.0.0.1', prefixLength: 8 }, loopback: true, defaultRoute: false },
    ]);
  });
});

const candidate = (
  name: string,
  cidr: string | undefined,
  extra: Partial<InterfaceCandidate> = {},
): InterfaceCandidate => {
  const [address = '', prefix = ''] = cidr?.split('/') ?? [];
  return {
    name,
    ...(cidr === undefined ? {} : { ipv4: { address: parseIpv4(address), prefixLength: Number(prefix) } }),
    loopback: false,
    defaultRoute: false,
    ...extra,
  };
};

const lo = candidate('lo', '127.0.0.1/8', { loopback: true });
const main = candidate('eth0', '192.168.1.20/24', { defaultRoute: true });
const lab = candidate('eth1', '10.10.0.1/24');
const other = candidate('eth2', '10.20.0.1/24');
const bare = candidate('eth3', undefined);
const point = candidate('tun0', '10.99.0.2/32');

describe('chooseInitInterface', () => {
  it('picks the only IPv4, non-loopback interface without the default route', () => {
    expect(chooseInitInterface([lo, main, lab, bare, point], undefined, false)).toEqual({
      ok: true,
      interface: { name: 'eth1', address: '10.10.0.1', prefixLength: 24 },
    });
  });

  it('never picks the default-route interface by itself, even with allowDefaultRoute', () => {
    for (const allow of [false, true]) {
      const choice = chooseInitInterface([lo, main], undefined, allow);
      expect(choice.ok).toBe(false);
      if (!choice.ok) {
        expect(choice.reason).toMatch(/carries the default route/);
        expect(choice.reason).toContain('eth0 (192.168.1.20/24, default route)');
        expect(choice.reason).toContain('--interface NAME');
      }
    }
  });

  it('lists the candidates when several could be meant', () => {
    const choice = chooseInitInterface([lo, main, lab, other], undefined, false);
    expect(choice).toEqual({
      ok: false,
      reason:
        'several interfaces could face the machines to install (eth1, eth2); choose one with --interface NAME. ' +
        'Interfaces here: lo (127.0.0.1/8, loopback); eth0 (192.168.1.20/24, default route); eth1 (10.10.0.1/24); ' +
        'eth2 (10.20.0.1/24).',
    });
  });

  it('uses the interface named, among several', () => {
    expect(chooseInitInterface([lo, main, lab, other], 'eth2', false)).toMatchObject({
      ok: true,
      interface: { name: 'eth2' },
    });
  });

  it('refuses the default-route interface by name unless allowed, and says why', () => {
    const refused = chooseInitInterface([main, lab], 'eth0', false);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.reason).toMatch(
        /^eth0 carries the default route, so it is most likely the site's main network/,
      );
      expect(refused.reason).toMatch(/answering PXE there/);
      expect(refused.reason).toMatch(/--allow-default-route/);
    }
    expect(chooseInitInterface([main, lab], 'eth0', true)).toMatchObject({
      ok: true,
      interface: { name: 'eth0' },
    });
  });

  it.each([
    ['eth9', /^there is no interface named "eth9"; interfaces here: /],
    ['lo', /^lo is the loopback interface/],
    ['eth3', /^eth3 has no IPv4 address/],
    ['tun0', /^tun0 has a \/32 address/],
  ])('refuses %s whatever the flags', (name, reason) => {
    const choice = chooseInitInterface([lo, main, lab, bare, point], name, true);
    expect(choice.ok).toBe(false);
    if (!choice.ok) expect(choice.reason).toMatch(reason);
  });
});

describe('renderStarterConfig', () => {
  const render = (
    mode?: 'off' | 'proxy' | 'full' | 'auto',
    address = '10.10.0.1',
    prefixLength = 24,
    name = 'eth1',
  ) =>
    renderStarterConfig({
      interface: name,
      address: parseIpv4(address),
      prefixLength,
      ...(mode ? { mode } : {}),
    });

  it('defaults to proxy mode on the interface, with the full-mode subnet commented out', () => {
    const text = render();
    const { config } = loadText(dir, text);
    expect(config.dhcp).toEqual({
      mode: 'proxy',
      interfaces: ['eth1'],
      subnets: [],
      rogueCheckInterval: 300,
      bootFiles: {},
    });
    expect(config.http.publicUrl).toBe('http://10.10.0.1:8080');
    expect(text).toContain('  # subnets:\n  #   - subnet: 10.10.0.0/24\n');
    expect(text).toMatch(/^# fleetboot\.yaml, written by `fleetboot init` for eth1 \(10\.10\.0\.1\/24\)/);
  });

  it('has every section, each explained by a comment next to it', () => {
    const lines = render().split('\n');
    for (const section of ['dataDir', 'store', 'log', 'http', 'tftp', 'dhcp']) {
      const at = lines.findIndex((line) => line.startsWith(`${section}:`));
      expect(at, section).toBeGreaterThan(0);
      expect(
        [lines[at - 1], lines[at + 1]].some((line) => /^ *#/.test(line ?? '')),
        section,
      ).toBe(true);
    }
  });

  it('writes the defaults of the schema', () => {
    const { config } = loadText(dir, render());
    const defaults = loadText(
      dir,
      'dhcp: {mode: proxy, interfaces: [eth1]}\nhttp: {publicUrl: "http://10.10.0.1:8080"}\n',
    );
    expect(config).toEqual(defaults.config);
  });

  it.each(['full', 'auto'] as const)(
    'activates the subnet for mode %s, with a pool that leaves out our address',
    (mode) => {
      const { config } = loadText(dir, render(mode));
      expect(config.dhcp.mode).toBe(mode);
      expect(config.dhcp.subnets).toEqual([
        {
          subnet: { network: '10.10.0.0', prefixLength: 24 },
          pools: [{ start: '10.10.0.128', end: '10.10.0.254' }],
          dns: [],
          leaseTime: 3600,
          renewalTime: 1800,
          rebindingTime: 3150,
          reservations: [],
        },
      ]);
    },
  );

  it('uncommenting the subnet of a proxy config gives the subnet of a full config', () => {
    const [head = '', tail = ''] = render('proxy').split(/(?=^ {2}# subnets:)/m);
    const uncommented = head.replace('mode: proxy', 'mode: full') + tail.replace(/^ {2}# /gm, '  ');
    expect(loadText(dir, uncommented).config).toEqual(loadText(dir, render('full')).config);
  });

  it.each([
    ['10.10.0.1', 24],
    ['10.10.0.200', 24],
    ['172.16.5.9', 16],
    ['192.0.2.5', 29],
  ])('for %s/%i the commented router and reservation examples load as they are', (address, prefix) => {
    const examples = render('full', address, prefix).replace(
      /^( {6})# ((?:router|dns|reservations):)/gm,
      '$1$2',
    );
    const uncommented = examples.replace(/^( {6})# ( {2}- \{ mac)/m, '$1$2');
    const [subnet] = loadText(dir, uncommented).config.dhcp.subnets;
    expect(subnet?.router).toBeDefined();
    expect(subnet?.reservations).toHaveLength(1);
  });

  it.each([
    ['10.10.0.200', 24, '10.10.0.64', '10.10.0.127'],
    ['10.10.0.1', 24, '10.10.0.128', '10.10.0.254'],
    ['172.16.5.9', 16, '172.16.128.0', '172.16.255.254'],
    ['192.0.2.2', 30, '192.0.2.1', '192.0.2.1'],
    ['192.0.2.1', 30, '192.0.2.2', '192.0.2.2'],
  ])('for %s/%i the pool is %s – %s and loads', (address, prefix, start, end) => {
    const { config } = loadText(dir, render('full', address, prefix));
    expect(config.dhcp.subnets[0]?.pools).toEqual([{ start, end }]);
  });

  it.each(['off', 'proxy', 'full', 'auto'] as const)('round-trips in mode %s', (mode) => {
    expect(loadText(dir, render(mode)).config.dhcp.mode).toBe(mode);
  });

  it('quotes an interface name YAML would read as something else', () => {
    expect(loadText(dir, render('proxy', '10.10.0.1', 24, 'on')).config.dhcp.interfaces).toEqual(['on']);
    expect(loadText(dir, render('proxy', '10.10.0.1', 24, '0')).config.dhcp.interfaces).toEqual(['0']);
  });

  it('refuses a /31 or /32 address, which leaves no room for clients', () => {
    expect(() => render('proxy', '10.10.0.1', 31)).toThrow(/at most 30/);
  });
});
