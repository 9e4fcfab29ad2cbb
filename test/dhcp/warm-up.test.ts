// The DHCP warm-up at start (src/dhcp/warm-up.ts): a throwaway engine on an in-memory store runs made-up PXE
// clients, bounded by the pool, the clock and silence; it never stands in the way of serving.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultBootFileTable } from '../../src/boot/boot-file.js';
import { systemClock } from '../../src/net/clock.js';
import {
  dhcpWarmUpApplies,
  type DhcpWarmUpOptions,
  warmUpDhcp,
  warmUpOnScratch,
} from '../../src/dhcp/warm-up.js';
import { memoryLogger } from '../support/logger.js';
import type { DhcpConfig } from '../../src/config/types.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { dhcpConfig, LAN_SUBNET } from './support.js';

const bootFiles = defaultBootFileTable('http://198.18.0.1:8080');

/** A migrated in-memory store, closed when the test ends (serve gives the warm-up a file with a writer thread). */
async function scratch(): Promise<Store> {
  const store = await openStore('sqlite::memory:', { dataDir: '.' });
  onTestFinished(() => store.close());
  await store.migrate();
  return store;
}

/** A pool of 240 addresses on the test LAN. */
const WIDE = (): DhcpConfig =>
  dhcpConfig([{ ...LAN_SUBNET, pools: [{ start: '198.18.0.10', end: '198.18.0.249' }] }]);

/** The warm-up on a fresh scratch store, with `options` over the test's defaults; the store with the result. */
async function warm(config: DhcpConfig, options: Partial<DhcpWarmUpOptions> = {}) {
  const scratchStore = await scratch();
  const result = await warmUpDhcp({ config, bootFiles, clock: systemClock, scratchStore, ...options });
  return { result, scratchStore };
}

describe('warmUpDhcp', () => {
  it('runs whole exchanges for every firmware until it has done as many as asked', async () => {
    const { result, scratchStore } = await warm(WIDE(), { exchanges: 150, concurrency: 16 });
    expect(result).toEqual({ completed: 150, elapsedMs: expect.any(Number) as number });
    // Each made-up client enrolled, with the architecture it claimed: BIOS, UEFI x64, arm64, HTTP boot.
    const machines = await scratchStore.inventory.list({ limit: 200 });
    expect(machines.total).toBe(150);
    expect(new Set(machines.items.map((m) => m.arch))).toEqual(new Set([0, 7, 11, 16]));
  });

  it('asks no more of a pool than it has (100 addresses), so no client waits for an offer that never comes', async () => {
    const { result } = await warm(dhcpConfig([LAN_SUBNET]), { exchanges: 500, timeLimitMs: 20_000 });
    expect(result.completed).toBe(100);
    expect(result.endedEarly).toBeUndefined();
  });

  it('ends at its time limit, with what it had done', async () => {
    const { result } = await warm(WIDE(), { exchanges: 200, timeLimitMs: 1 });
    expect(result.endedEarly).toBe('time-limit');
    expect(result.completed).toBeLessThan(200);
  });

  it('leases every pool address even when the pool holds the first host address of the subnet', async () => {
    // The throwaway engine is "on" an address outside the pools, so none is its own (the engine never leases
    // that): 100 clients, 100 ACKs, no wait for a 101st offer.
    const config = dhcpConfig([{ ...LAN_SUBNET, pools: [{ start: '198.18.0.1', end: '198.18.0.100' }] }]);
    const { result } = await warm(config, { exchanges: 1000, timeLimitMs: 20_000 });
    expect(result).toEqual({ completed: 100, elapsedMs: expect.any(Number) as number });
  });

  it('runs on the store serve gives it: a SQLite file with the writer thread', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-warm-up-test-'));
    const scratchStore = await openStore('sqlite:warm-up.db', { dataDir: dir, writerThread: true });
    onTestFinished(async () => {
      await scratchStore.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await scratchStore.migrate();
    const result = await warmUpDhcp({
      config: WIDE(),
      bootFiles,
      clock: systemClock,
      scratchStore,
      exchanges: 100,
    });
    expect(result.completed).toBe(100);
    expect((await scratchStore.inventory.list()).total).toBe(100);
  });

  it('does nothing in proxyDHCP mode (no leases to warm) or when asked for no exchange', async () => {
    expect(dhcpWarmUpApplies(dhcpConfig([], 'proxy'))).toBe(false);
    expect(dhcpWarmUpApplies(WIDE())).toBe(true);
    for (const [config, options] of [
      [dhcpConfig([], 'proxy'), {}],
      [WIDE(), { exchanges: 0 }],
    ] as const) {
      const { result } = await warm(config, options);
      expect(result).toMatchObject({ completed: 0, elapsedMs: 0, skipped: expect.any(String) as string });
    }
  });
});

describe('warmUpOnScratch', () => {
  const sqliteFile = { dialect: 'sqlite', file: '/srv/fleetboot/fleetboot.db' } as const;

  it('warms up on a scratch file under the data directory, removed after, stale ones too, and says so once', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'fleetboot-warm-up-data-'));
    onTestFinished(() => {
      rmSync(dataDir, { recursive: true, force: true });
    });
    // What a start killed during its warm-up leaves behind.
    mkdirSync(path.join(dataDir, 'dhcp-warm-up'));
    writeFileSync(path.join(dataDir, 'dhcp-warm-up', 'warm-up.db'), 'not a database');
    const { logger, lines } = memoryLogger('info');
    await warmUpOnScratch({
      config: WIDE(),
      bootFiles,
      clock: systemClock,
      logger,
      store: sqliteFile,
      dataDir,
    });
    expect(readdirSync(dataDir)).toEqual([]);
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 30,
        completed: 240,
        msg: expect.stringMatching(/^DHCP warm-up/) as string,
      }),
    ]);
  });

  it.each([
    ['proxyDHCP', dhcpConfig([], 'proxy'), { dialect: 'sqlite', file: '/srv/fleetboot/fleetboot.db' }],
    ['an in-memory store', WIDE(), { dialect: 'sqlite', file: ':memory:' }],
    [
      'PostgreSQL (another store class than the scratch file)',
      WIDE(),
      { dialect: 'postgres', url: 'postgres:///x' },
    ],
  ] as const)('does nothing for %s', async (_, config, store) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'fleetboot-warm-up-data-'));
    onTestFinished(() => {
      rmSync(dataDir, { recursive: true, force: true });
    });
    const { logger, lines } = memoryLogger('info');
    await warmUpOnScratch({ config, bootFiles, clock: systemClock, logger, store, dataDir });
    expect(readdirSync(dataDir)).toEqual([]);
    expect(lines()).toEqual([]);
  });

  it('never fails the start: a data directory it cannot write is a warning', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'fleetboot-warm-up-data-')), 'a-file');
    writeFileSync(dataDir, '');
    onTestFinished(() => {
      rmSync(path.dirname(dataDir), { recursive: true, force: true });
    });
    const { logger, lines } = memoryLogger('info');
    await warmUpOnScratch({
      config: WIDE(),
      bootFiles,
      clock: systemClock,
      logger,
      store: sqliteFile,
      dataDir,
    });
    expect(lines()).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/warm-up failed/) as string }),
    ]);
  });
});
