import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/config/load.js';
import { LOG_LEVELS } from '../../src/config/schema.js';
import { ipv4FromInt } from '../../src/values/ipv4.js';
import { loadText, scratchDir } from './support.js';

const dir = scratchDir();

const ipv4 = fc.integer({ min: 0x01000000, max: 0xdfffffff }).map(ipv4FromInt);
const interfaceName = fc
  .stringMatching(/^[a-z][a-z0-9]{0,6}$/)
  .filter((n) => !/^(y|n|yes|no|on|off|true|false|null)$/.test(n));

/** A subnet with one pool inside it, built from offsets so that it always satisfies the rules. */
const subnet = fc
  .record({
    network: fc.integer({ min: 0x0a000000, max: 0x0affffff }),
    prefixLength: fc.integer({ min: 16, max: 28 }),
    a: fc.nat(),
    b: fc.nat(),
    leaseTime: fc.integer({ min: 10, max: 7 * 86400 }),
  })
  .map(({ network, prefixLength, a, b, leaseTime }) => {
    const size = 2 ** (32 - prefixLength);
    const base = Math.floor(network / size) * size;
    const [lo, hi] = [1 + (a % (size - 2)), 1 + (b % (size - 2))].sort((x, y) => x - y) as [number, number];
    return {
      subnet: `${ipv4FromInt(base)}/${prefixLength}`,
      pools: [{ start: ipv4FromInt(base + lo), end: ipv4FromInt(base + hi) }],
      leaseTime,
    };
  });

const settings = fc.record({
  log: fc.record({ level: fc.constantFrom(...LOG_LEVELS) }),
  http: fc.record({
    listen: fc.tuple(ipv4, fc.integer({ min: 0, max: 65535 })).map(([h, p]) => `${h}:${p}`),
  }),
  tftp: fc
    .record({
      enabled: fc.boolean(),
      blocksize: fc.integer({ min: 512, max: 65464 }),
      windowsize: fc.integer({ min: 1, max: 64 }),
      timeout: fc.integer({ min: 1, max: 255 }),
      retries: fc.integer({ min: 1, max: 20 }),
      maxTransfers: fc.integer({ min: 1, max: 100000 }),
      maxPerClient: fc.integer({ min: 1, max: 100000 }),
    })
    .map((t) => ({ ...t, maxPerClient: Math.min(t.maxPerClient, t.maxTransfers) })),
  dhcp: fc.record({
    mode: fc.constant('full'),
    interfaces: fc.uniqueArray(interfaceName, { minLength: 1, maxLength: 3 }),
    subnets: subnet.map((s) => [s]),
  }),
});

describe('properties', () => {
  it('any valid configuration written as YAML loads back with the same values', () => {
    fc.assert(
      fc.property(settings, (written) => {
        const { config } = loadText(dir, stringify(written));
        const [host, port] = written.http.listen.split(':');
        expect(config.log).toEqual(written.log);
        expect(config.http.listen).toEqual({ host, port: Number(port) });
        expect(config.tftp).toMatchObject(written.tftp);
        expect(config.dhcp.interfaces).toEqual(written.dhcp.interfaces);
        const [s] = written.dhcp.subnets;
        const [loaded] = config.dhcp.subnets;
        expect(loaded?.pools).toEqual(s?.pools);
        expect(`${loaded?.subnet.network}/${loaded?.subnet.prefixLength}`).toBe(s?.subnet);
        expect(loaded?.renewalTime).toBeLessThan(loaded?.rebindingTime ?? 0);
        expect(loaded?.rebindingTime).toBeLessThan(loaded?.leaseTime ?? 0);
      }),
      { numRuns: 60 },
    );
  });

  it('an environment variable and the file give the same configuration', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 512, max: 65464 }),
        fc.constantFrom(...LOG_LEVELS),
        (blocksize, level) => {
          const viaFile = loadText(dir, stringify({ tftp: { blocksize }, log: { level } })).config;
          const viaEnv = loadText(dir, '', {
            FLEETBOOT_TFTP__BLOCKSIZE: String(blocksize),
            FLEETBOOT_LOG__LEVEL: level,
          }).config;
          expect(viaEnv).toEqual(viaFile);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('any value in any place is a ConfigError with a position, never a crash', () => {
    const places = [
      ['dataDir'],
      ['store'],
      ['log'],
      ['tftp', 'blocksize'],
      ['tftp', 'roots'],
      ['http', 'listen'],
      ['dhcp'],
      ['dhcp', 'mode'],
      ['dhcp', 'interfaces'],
      ['dhcp', 'subnets'],
      ['dhcp', 'subnets', 0],
      ['dhcp', 'subnets', 0, 'pools'],
      ['dhcp', 'subnets', 0, 'pools', 0, 'start'],
      ['dhcp', 'subnets', 0, 'leaseTime'],
      ['dhcp', 'subnets', 0, 'renewalTime'],
      ['dhcp', 'subnets', 0, 'reservations'],
    ] as const;
    fc.assert(
      fc.property(settings, fc.constantFrom(...places), fc.jsonValue(), (written, place, value) => {
        const config = structuredClone(written) as unknown as Record<string | number, unknown>;
        let node = config;
        for (const step of place.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
        node[place.at(-1) ?? ''] = value;
        try {
          loadText(dir, stringify(config));
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          for (const d of (error as ConfigError).diagnostics) {
            expect(d.origin.kind).toBe('file');
            if (d.origin.kind === 'file') expect(d.origin.line).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
