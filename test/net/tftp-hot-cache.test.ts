import { describe, expect, it } from 'vitest';
import { HotFileCache } from '../../src/net/tftp-hot-cache.js';
import { createMetrics } from '../../src/observability/metrics.js';

const content = (size: number, fill = 1) => new Uint8Array(size).fill(fill);

/** A loader that counts its calls and can be held until the test lets it finish. */
function loader(size: number, fill = 1) {
  let calls = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    load: async () => {
      calls += 1;
      await gate;
      return content(size, fill);
    },
    calls: () => calls,
    release: () => {
      release();
    },
  };
}

describe('HotFileCache', () => {
  it('loads a file once for many simultaneous readers and shares the bytes', async () => {
    const cache = new HotFileCache({ capacityBytes: 1000 });
    const l = loader(100);
    const leases = Array.from({ length: 300 }, () => cache.acquire('k', 100, l.load));
    l.release();
    const all = await Promise.all(leases);
    expect(l.calls()).toBe(1);
    expect(new Set(all.map((lease) => lease?.bytes)).size).toBe(1);
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 100, misses: 1, hits: 299 });
  });

  it('evicts unpinned entries least recently used first, by bytes', async () => {
    const cache = new HotFileCache({ capacityBytes: 300 });
    for (const key of ['a', 'b', 'c'])
      (await cache.acquire(key, 100, () => Promise.resolve(content(100))))?.release();
    // Touch a: b is now the least recently used.
    (await cache.acquire('a', 100, () => Promise.reject(new Error('not loaded again'))))?.release();
    (await cache.acquire('d', 150, () => Promise.resolve(content(150))))?.release();
    const again = loader(100);
    again.release();
    await cache.acquire('a', 100, again.load);
    expect(again.calls()).toBe(0);
    const b = loader(100);
    b.release();
    await cache.acquire('b', 100, b.load);
    expect(b.calls()).toBe(1);
    expect(cache.stats().bytes).toBeLessThanOrEqual(300);
  });

  it('never evicts a pinned entry; a file that does not fit is declined (streamed by the caller)', async () => {
    const cache = new HotFileCache({ capacityBytes: 250 });
    const pinned = await cache.acquire('a', 200, () => Promise.resolve(content(200)));
    expect(await cache.acquire('b', 100, () => Promise.resolve(content(100)))).toBeUndefined();
    expect(await cache.acquire('huge', 251, () => Promise.resolve(content(251)))).toBeUndefined();
    expect(cache.stats()).toMatchObject({ bypasses: 2, bytes: 200 });
    pinned?.release();
    pinned?.release(); // idempotent
    expect(await cache.acquire('b', 100, () => Promise.resolve(content(100)))).toBeDefined();
    expect(cache.stats()).toMatchObject({ evictions: 1, bytes: 100 });
  });

  it('a failed load fails every waiter and leaves nothing behind', async () => {
    const cache = new HotFileCache({ capacityBytes: 1000 });
    const failing = () => Promise.reject(new Error('EIO'));
    const waiters = [cache.acquire('k', 10, failing), cache.acquire('k', 10, failing)];
    for (const waiter of waiters) await expect(waiter).rejects.toThrow('EIO');
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
    expect(await cache.acquire('k', 10, () => Promise.resolve(content(10)))).toBeDefined();
  });

  it('refuses a load whose size is not the one announced (the file changed while read)', async () => {
    const cache = new HotFileCache({ capacityBytes: 1000 });
    await expect(cache.acquire('k', 10, () => Promise.resolve(content(9)))).rejects.toThrow(/expected 10/);
    expect(cache.stats().bytes).toBe(0);
  });

  it('reports its size and outcomes as metrics', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const cache = new HotFileCache({ capacityBytes: 1000, metrics });
    (await cache.acquire('k', 10, () => Promise.resolve(content(10))))?.release();
    (await cache.acquire('k', 10, () => Promise.resolve(content(10))))?.release();
    const text = await metrics.metrics();
    expect(text).toContain('fleetboot_tftp_cache_bytes 10');
    expect(text).toContain('fleetboot_tftp_cache_requests_total{outcome="miss"} 1');
    expect(text).toContain('fleetboot_tftp_cache_requests_total{outcome="hit"} 1');
  });
});
