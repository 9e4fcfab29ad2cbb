// Catalogue S08, fail closed: a change whose audit entry cannot be written is not made while the database is
// known to be down, and a change whose entry failed after the fact is not reported as a success.
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { unavailable } from '../support/broken-store.js';
import { apiHarness, machine } from './harness.js';

/** The real store as the API sees it, with health and audit appends that can be broken during a test. */
class FailingStore {
  health: 'up' | 'down' = 'up';
  auditFails = false;
  constructor(private readonly real: Store) {}

  asStore(): Store {
    const real = this.real;
    return {
      dialect: real.dialect,
      inventory: real.inventory,
      leases: real.leases,
      events: real.events,
      tokens: real.tokens,
      captures: real.captures,
      audit: {
        append: (entry) => (this.auditFails ? Promise.reject(unavailable()) : real.audit.append(entry)),
        list: (query) => real.audit.list(query),
      },
      migrate: () => real.migrate(),
      health: () => this.health,
      onHealthChange: (listener) => real.onHealthChange(listener),
      onEventsAppended: (listener) => real.onEventsAppended(listener),
      ping: () => real.ping(),
      close: () => real.close(),
    };
  }
}

describe('API audit, fail closed', () => {
  it('refuses a change with 503 while the store is down, and changes nothing', async () => {
    let failing: FailingStore | undefined;
    const h = await apiHarness({
      apiStore: (real) => {
        failing = new FailingStore(real);
        return failing.asStore();
      },
    });
    const id = await machine(h);
    if (failing === undefined) throw new Error('the API did not take the failing store');
    failing.health = 'down';
    const res = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/machines/${id}/labels`,
      headers: h.auth(h.tokens.operator),
      payload: { labels: { rack: 'r9' } },
    });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: { code: 'FLEETBOOT_STORE_UNAVAILABLE' } });
    expect((await h.store.inventory.get(id))?.labels).toEqual({});
    // Reads go on: nothing to audit.
    expect(
      (await h.app.inject({ url: '/api/v1/machines', headers: h.auth(h.tokens.viewer) })).statusCode,
    ).toBe(200);
  });

  it('does not report a change as done when its audit entry could not be written', async () => {
    let failing: FailingStore | undefined;
    const h = await apiHarness({
      apiStore: (real) => {
        failing = new FailingStore(real);
        return failing.asStore();
      },
    });
    const id = await machine(h);
    if (failing === undefined) throw new Error('the API did not take the failing store');
    failing.auditFails = true;
    const res = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/machines/${id}/labels`,
      headers: h.auth(h.tokens.operator),
      payload: { labels: { rack: 'r9' } },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ error: { code: 'FLEETBOOT_AUDIT_FAILED' } });
    expect(h.logLines().some((line) => line.msg === 'API request failed')).toBe(true);
  });
});
