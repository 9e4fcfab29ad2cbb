// The DHCP warm-up at start (src/dhcp/warm-up.ts): a throwaway engine on an in-memory store runs made-up PXE
// clients, bounded by the pool, the clock and silence; it never stands in the way of serving.
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultBootFileTable } from '../../src/boot/boot-file.js';
import { systemClock } from '../../src/net/clock.js';
import { type DhcpWarmUpOptions, warmUpDhcp } from '../../src/dhcp/warm-up.js';
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

  it('leaves proxyDHCP alone: it leases nothing, and its clients finish on port 4011', async () => {
    const { result } = await warm(dhcpConfig([], 'proxy'));
    expect(result).toMatchObject({ completed: 0, elapsedMs: 0, skipped: expect.any(String) as string });
  });
});
