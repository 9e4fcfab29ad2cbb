// The DHCP warm-up at start (src/dhcp/warm-up.ts): a throwaway engine on an in-memory store runs made-up PXE
// clients, bounded by the pool, the clock and silence; it never stands in the way of serving.
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultBootFileTable } from '../../src/boot/boot-file.js';
import { systemClock } from '../../src/net/clock.js';
import { warmUpDhcp } from '../../src/dhcp/warm-up.js';
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

describe('warmUpDhcp', () => {
  it('runs whole exchanges for every firmware until it has done as many as asked', async () => {
    const config = dhcpConfig([{ ...LAN_SUBNET, pools: [{ start: '198.18.0.10', end: '198.18.0.249' }] }]);
    const result = await warmUpDhcp({
      config,
      bootFiles,
      clock: systemClock,
      scratchStore: await scratch(),
      exchanges: 150,
      concurrency: 16,
    });
    expect(result).toEqual({ completed: 150, elapsedMs: expect.any(Number) as number });
  });

  it('asks no more of a pool than it has (100 addresses), so no client waits for an offer that never comes', async () => {
    const config = dhcpConfig([LAN_SUBNET]);
    const result = await warmUpDhcp({
      config,
      bootFiles,
      clock: systemClock,
      scratchStore: await scratch(),
      exchanges: 500,
      timeLimitMs: 20_000,
    });
    expect(result.completed).toBe(100);
    expect(result.endedEarly).toBeUndefined();
  });

  it('ends at its time limit, with what it had done', async () => {
    const config = dhcpConfig([{ ...LAN_SUBNET, pools: [{ start: '198.18.0.10', end: '198.18.0.249' }] }]);
    const result = await warmUpDhcp({
      config,
      bootFiles,
      clock: systemClock,
      scratchStore: await scratch(),
      exchanges: 200,
      timeLimitMs: 1,
    });
    expect(result.endedEarly).toBe('time-limit');
    expect(result.completed).toBeLessThan(200);
  });

  it('leaves proxyDHCP alone: it leases nothing, and its clients finish on port 4011', async () => {
    const result = await warmUpDhcp({
      config: dhcpConfig([], 'proxy'),
      bootFiles,
      clock: systemClock,
      scratchStore: await scratch(),
    });
    expect(result).toMatchObject({ completed: 0, elapsedMs: 0, skipped: expect.any(String) as string });
  });
});
