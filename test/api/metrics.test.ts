// /metrics (issue 6, item 6): machines per state counted from the store on each scrape, authentication failures
// by reason, next to the TFTP and DHCP counters the listeners register.
import { describe, expect, it } from 'vitest';
import { apiHarness, machine, machineIn } from './harness.js';

describe('API metrics', () => {
  it('counts machines per state from the store at each scrape', async () => {
    const h = await apiHarness();
    await machine(h, 1);
    await machine(h, 2);
    await machineIn(h, 'queued', 3);
    await machineIn(h, 'installed', 4);
    let body = (await h.app.inject({ url: '/metrics' })).body;
    expect(body).toContain('fleetboot_machines{state="discovered"} 2');
    expect(body).toContain('fleetboot_machines{state="queued"} 1');
    expect(body).toContain('fleetboot_machines{state="installed"} 1');
    expect(body).toContain('fleetboot_machines{state="failed"} 0');
    await machine(h, 5);
    body = (await h.app.inject({ url: '/metrics' })).body;
    expect(body).toContain('fleetboot_machines{state="discovered"} 3');
  });

  it('counts authentication failures by reason', async () => {
    const h = await apiHarness();
    await h.app.inject({ url: '/api/v1/machines' });
    await h.app.inject({ url: '/api/v1/machines', headers: { authorization: 'Bearer nope' } });
    await h.app.inject({ url: '/api/v1/machines', headers: h.auth(h.tokens.revoked) });
    await h.app.inject({ url: '/api/v1/tokens', headers: h.auth(h.tokens.viewer) });
    const body = (await h.app.inject({ url: '/metrics' })).body;
    for (const reason of ['missing', 'malformed', 'unknown', 'forbidden']) {
      expect(body).toContain(`fleetboot_api_auth_failures_total{reason="${reason}"} 1`);
    }
  });

  it('leaves the machine counts out of a scrape while the store is away, and the scrape still answers', async () => {
    const h = await apiHarness();
    await machine(h);
    await h.store.close();
    const res = await h.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toMatch(/^fleetboot_machines\{/m);
  });
});
