// Reliability-catalogue S01 (deny by default), S02 (the role matrix) and S03 (an allowlist of what is reachable),
// generated from the route table the API serves: a new route without an entry here fails the first test, and
// every route is called with every kind of credential.
import { describe, expect, it } from 'vitest';
import { API_PREFIX, type Access, type AnyRoute } from '../../src/api/route.js';
import { roleAllows } from '../../src/inventory/api-token.js';
import type { Mac } from '../../src/values/mac.js';
import { apiHarness, type ApiHarness } from './harness.js';
import { send } from './requests.js';

/** The allowlist: every route the API may serve, with the least role that may call it. */
const EXPECTED: Readonly<Record<string, Access>> = {
  'GET /machines': 'viewer',
  'GET /machines/:id': 'viewer',
  'PUT /machines/:id/labels': 'operator',
  'DELETE /machines/:id': 'admin',
  'GET /events': 'viewer',
  'GET /machines/:id/events': 'viewer',
  'GET /events/stream': 'viewer',
  'GET /audit': 'operator',
  'GET /leases': 'viewer',
  'GET /tokens': 'admin',
  'POST /tokens': 'admin',
  'DELETE /tokens/:name': 'admin',
  'GET /health': 'public',
  'GET /version': 'public',
  'GET /openapi.json': 'public',
  'GET /docs': 'public',
};

/** A well-formed request per route, so that an allowed caller gets a success (not merely "not 401"). */
interface Fixture {
  readonly machineId: string;
}
const SAMPLES: Readonly<Record<string, (fx: Fixture) => { url: string; payload?: object }>> = {
  'GET /machines': () => ({ url: '/machines?state=discovered&limit=10' }),
  'GET /machines/:id': (fx) => ({ url: `/machines/${fx.machineId}` }),
  'PUT /machines/:id/labels': (fx) => ({
    url: `/machines/${fx.machineId}/labels`,
    payload: { labels: { rack: 'r1' } },
  }),
  'DELETE /machines/:id': (fx) => ({ url: `/machines/${fx.machineId}` }),
  'GET /events': () => ({ url: '/events?limit=10' }),
  'GET /machines/:id/events': (fx) => ({ url: `/machines/${fx.machineId}/events` }),
  'GET /events/stream': () => ({ url: '/events/stream' }),
  'GET /audit': () => ({ url: '/audit' }),
  'GET /leases': () => ({ url: '/leases' }),
  'GET /tokens': () => ({ url: '/tokens' }),
  'POST /tokens': () => ({ url: '/tokens', payload: { name: 'fresh', role: 'viewer' } }),
  'DELETE /tokens/:name': () => ({ url: '/tokens/victim' }),
  'GET /health': () => ({ url: '/health' }),
  'GET /version': () => ({ url: '/version' }),
  'GET /openapi.json': () => ({ url: '/openapi.json' }),
  'GET /docs': () => ({ url: '/docs' }),
};

const key = (route: AnyRoute) => `${route.method} ${route.url}`;

/** Credentials from none to admin; the denied ones first, so a state-changing success comes last. */
const CALLERS = ['none', 'revoked', 'viewer', 'operator', 'admin'] as const;

async function fixture(h: ApiHarness): Promise<Fixture> {
  const { machine } = await h.store.inventory.recordContact({ mac: '52:54:00:12:34:56' as Mac });
  await h.store.tokens.create({
    name: 'victim',
    role: 'viewer',
    createdBy: 'test',
    tokenHash: 'a'.repeat(64),
  });
  return { machineId: machine.id };
}

describe('API authorisation, generated from the route table', () => {
  it('serves exactly the allowlisted routes, each with its expected access (S03)', async () => {
    const h = await apiHarness();
    const served = Object.fromEntries(h.routes.map((r) => [key(r), r.access]));
    expect(served).toEqual(EXPECTED);
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('answers every route as its role allows, for every kind of caller (S01, S02)', async () => {
    const routes = (await apiHarness()).routes;
    for (const route of routes) {
      // A fresh server per route: a state-changing call must not change what the next route sees.
      const h = await apiHarness();
      const sample = SAMPLES[key(route)];
      expect(sample, `${key(route)} has a sample request`).toBeDefined();
      if (sample === undefined) continue;
      const request = sample(await fixture(h));
      for (const caller of CALLERS) {
        const headers = caller === 'none' ? {} : h.auth(h.tokens[caller]);
        const res = await send(h, route, { ...request, url: API_PREFIX + request.url }, headers);
        const what = `${key(route)} as ${caller}: ${res.statusCode} ${res.body.slice(0, 200)}`;
        const allowed =
          route.access === 'public' ||
          (caller !== 'none' && caller !== 'revoked' && roleAllows(caller, route.access));
        if (allowed) {
          expect(res.statusCode, what).toBeGreaterThanOrEqual(200);
          expect(res.statusCode, what).toBeLessThan(300);
        } else {
          expect(res.statusCode, what).toBe(caller === 'none' || caller === 'revoked' ? 401 : 403);
          expect(JSON.parse(res.body), what).toMatchObject({
            error: { code: res.statusCode === 401 ? 'FLEETBOOT_UNAUTHENTICATED' : 'FLEETBOOT_FORBIDDEN' },
          });
        }
      }
    }
  });
});
