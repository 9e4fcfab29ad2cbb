// Reliability-catalogue S01 (deny by default), S02 (the role matrix) and S03 (an allowlist of what is reachable),
// generated from the route table the API serves: a new route without an entry here fails the first test, and
// every route is called with every kind of credential, each on a fresh server set up so the call can succeed.
import { describe, expect, it } from 'vitest';
import { API_PREFIX, type Access, type AnyRoute } from '../../src/api/route.js';
import { roleAllows } from '../../src/inventory/api-token.js';
import { apiHarness, type ApiHarness, importImage, machine, machineIn } from './harness.js';
import { send } from './requests.js';

/** The allowlist: every route the API may serve, with the least role that may call it. */
const EXPECTED: Readonly<Record<string, Access>> = {
  'GET /machines': 'viewer',
  'GET /machines/:id': 'viewer',
  'GET /status': 'viewer',
  'PUT /machines/:id/labels': 'operator',
  'PUT /machines/:id/profile': 'operator',
  'POST /machines/:id/install': 'operator',
  'POST /machines/:id/reinstall': 'operator',
  'POST /machines/:id/cancel': 'operator',
  'DELETE /machines/:id': 'admin',
  'GET /events': 'viewer',
  'GET /machines/:id/events': 'viewer',
  'GET /machines/:id/capture': 'viewer',
  'GET /events/stream': 'viewer',
  'GET /audit': 'operator',
  'GET /leases': 'viewer',
  'GET /profiles': 'viewer',
  'GET /rules': 'viewer',
  'GET /images': 'viewer',
  'GET /images/:name': 'viewer',
  'DELETE /images/:name': 'admin',
  'GET /tokens': 'admin',
  'POST /tokens': 'admin',
  'DELETE /tokens/:name': 'admin',
  'GET /health': 'public',
  'GET /version': 'public',
  'GET /openapi.json': 'public',
  'GET /docs': 'public',
};

type Sample = (h: ApiHarness) => Promise<{ url: string; payload?: object }>;

/** A well-formed request per route and what it needs to exist, so an allowed caller gets a success. */
const SAMPLES: Readonly<Record<string, Sample>> = {
  'GET /machines': async () => Promise.resolve({ url: '/machines?state=discovered&limit=10' }),
  'GET /machines/:id': async (h) => ({ url: `/machines/${await machine(h)}` }),
  'GET /status': async () => Promise.resolve({ url: '/status?label=rack=r1' }),
  'PUT /machines/:id/labels': async (h) => ({
    url: `/machines/${await machine(h)}/labels`,
    payload: { labels: { rack: 'r1' } },
  }),
  'PUT /machines/:id/profile': async (h) => ({
    url: `/machines/${await machine(h)}/profile`,
    payload: { profile: 'debian12' },
  }),
  'POST /machines/:id/install': async (h) => ({ url: `/machines/${await machineIn(h, 'ready')}/install` }),
  'POST /machines/:id/reinstall': async (h) => ({
    url: `/machines/${await machineIn(h, 'installed')}/reinstall`,
  }),
  'POST /machines/:id/cancel': async (h) => ({ url: `/machines/${await machineIn(h, 'queued')}/cancel` }),
  'DELETE /machines/:id': async (h) => ({ url: `/machines/${await machine(h)}` }),
  'GET /events': async () => Promise.resolve({ url: '/events?limit=10' }),
  'GET /machines/:id/events': async (h) => ({ url: `/machines/${await machine(h)}/events` }),
  'GET /machines/:id/capture': async (h) => ({ url: `/machines/${await machine(h)}/capture` }),
  'GET /events/stream': async () => Promise.resolve({ url: '/events/stream' }),
  'GET /audit': async () => Promise.resolve({ url: '/audit' }),
  'GET /leases': async () => Promise.resolve({ url: '/leases' }),
  'GET /profiles': async () => Promise.resolve({ url: '/profiles' }),
  'GET /rules': async () => Promise.resolve({ url: '/rules' }),
  'GET /images': async () => Promise.resolve({ url: '/images' }),
  'GET /images/:name': async (h) => {
    await importImage(h);
    return { url: '/images/debian-12-amd64' };
  },
  'DELETE /images/:name': async (h) => {
    await importImage(h);
    return { url: '/images/debian-12-amd64' };
  },
  'GET /tokens': async () => Promise.resolve({ url: '/tokens' }),
  'POST /tokens': async () => Promise.resolve({ url: '/tokens', payload: { name: 'fresh', role: 'viewer' } }),
  'DELETE /tokens/:name': async () => Promise.resolve({ url: '/tokens/viewer' }),
  'GET /health': async () => Promise.resolve({ url: '/health' }),
  'GET /version': async () => Promise.resolve({ url: '/version' }),
  'GET /openapi.json': async () => Promise.resolve({ url: '/openapi.json' }),
  'GET /docs': async () => Promise.resolve({ url: '/docs' }),
};

const key = (route: AnyRoute) => `${route.method} ${route.url}`;

const CALLERS = ['none', 'revoked', 'viewer', 'operator', 'admin'] as const;

describe('API authorisation, generated from the route table', () => {
  it('serves exactly the allowlisted routes, each with its expected access (S03)', async () => {
    const h = await apiHarness();
    const served = Object.fromEntries(h.routes.map((r) => [key(r), r.access]));
    expect(served).toEqual(EXPECTED);
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  // One test per route of the allowlist; the test above makes that every route the table serves.
  it.each(Object.keys(EXPECTED))(
    'answers %s as its role allows, for every kind of caller (S01, S02)',
    async (name) => {
      const route = (await apiHarness()).routes.find((r) => key(r) === name);
      const sample = SAMPLES[name];
      if (route === undefined || sample === undefined)
        throw new Error(`${name} is not served or has no sample`);
      let shared: ApiHarness | undefined;
      for (const caller of CALLERS) {
        // A fresh server per call to a route that changes state: one caller's change must not decide the next's.
        const h = route.method === 'GET' ? (shared ??= await apiHarness()) : await apiHarness();
        const request = await sample(h);
        const headers = caller === 'none' ? {} : h.auth(h.tokens[caller]);
        const res = await send(h, route, { ...request, url: API_PREFIX + request.url }, headers);
        const what = `${name} as ${caller}: ${res.statusCode} ${res.body.slice(0, 300)}`;
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
    },
  );
});
