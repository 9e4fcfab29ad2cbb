// GET /api/v1/status: machines per state, counted in the store, and the package cache's saving when it is on.
import { describe, expect, it } from 'vitest';
import type { CacheSavings } from '../../src/values/cache-savings.js';
import { apiHarness, machine, machineIn } from './harness.js';

describe('GET /api/v1/status', () => {
  it('counts the machines in each state, every state present, and says the cache is off', async () => {
    const h = await apiHarness();
    await machine(h, 1, { rack: 'r1' });
    await machine(h, 2);
    await machineIn(h, 'ready', 3);
    await machineIn(h, 'queued', 4);
    await machineIn(h, 'installed', 5);
    const res = await h.app.inject({ url: '/api/v1/status', headers: h.auth(h.tokens.viewer) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      machines: { discovered: 2, ready: 1, queued: 1, installing: 0, installed: 1, failed: 0 },
      total: 5,
      cache: null,
    });
    const rack = await h.app.inject({
      url: '/api/v1/status?label=rack=r1',
      headers: h.auth(h.tokens.viewer),
    });
    expect(rack.json()).toMatchObject({ machines: { discovered: 1, ready: 0 }, total: 1 });
  });

  it("carries the cache's saving as the cache metrics count it", async () => {
    const savings: CacheSavings = {
      upstreamCopies: 1,
      served: 480,
      upstreamBytes: 1024,
      servedBytes: 480 * 1024,
      storedFiles: 1,
      storedBytes: 1024,
    };
    const h = await apiHarness({ cacheSavings: () => savings });
    const res = await h.app.inject({ url: '/api/v1/status', headers: h.auth(h.tokens.viewer) });
    expect(res.json()).toMatchObject({ total: 0, cache: savings });
  });
});
