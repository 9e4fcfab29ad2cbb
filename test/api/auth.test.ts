// Authentication (reliability-catalogue S01, S06, S08, H05): edge credentials never authenticate, failures are
// audited and rate-limited per socket address, and a token appears in no log, metric or response.
import { describe, expect, it } from 'vitest';
import { hashApiToken } from '../../src/api/tokens.js';
import { apiHarness, machine } from './harness.js';

const EDGE_CREDENTIALS = [
  '',
  'Bearer',
  'Bearer ',
  'Bearer -1',
  'Bearer 0',
  'Bearer null',
  'Bearer undefined',
  'Bearer fbt_',
  `Bearer fbt_${'A'.repeat(43)}`,
  `Bearer fbt_${'A'.repeat(5000)}`,
  // Unicode look-alikes of a real token's characters (fullwidth letters), and a trailing NBSP.
  `Bearer ｆｂｔ_${'A'.repeat(43)}`,
  'Basic YWRtaW46YWRtaW4=',
  'Token abc',
];

describe('API authentication', () => {
  it('never authenticates an edge credential (S01), and audits each failure without the credential', async () => {
    const h = await apiHarness({ authLimits: { maxFailures: 1000 } });
    const nbsp = `Bearer ${h.tokens.admin}\u00a0`;
    const doubled = `Bearer  ${h.tokens.admin}`;
    for (const authorization of [...EDGE_CREDENTIALS, nbsp, doubled, `Bearer ${h.tokens.revoked}`]) {
      const res = await h.app.inject({ url: '/api/v1/machines', headers: { authorization } });
      expect(res.statusCode, authorization.slice(0, 40)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="fleetboot"');
      expect(res.json()).toMatchObject({ error: { code: 'FLEETBOOT_UNAUTHENTICATED' } });
    }
    const failures = await h.store.audit.list({ action: 'auth.failed', limit: 1000 });
    expect(failures).toHaveLength(EDGE_CREDENTIALS.length + 3);
    expect(failures.every((e) => e.actor === 'anonymous' && e.outcome === 'denied')).toBe(true);
    expect(failures[0]).toMatchObject({
      target: 'GET /api/v1/machines',
      remoteAddress: '127.0.0.1',
      details: { reason: 'missing' },
    });
    expect(failures.at(-1)?.details).toMatchObject({ reason: 'unknown' });
    expect(JSON.stringify(failures)).not.toContain(h.tokens.revoked);
  });

  it('takes the scheme in any case (RFC 7235) and records the role it was refused for', async () => {
    const h = await apiHarness();
    const ok = await h.app.inject({
      url: '/api/v1/machines',
      headers: { authorization: `bEaReR ${h.tokens.viewer}` },
    });
    expect(ok.statusCode).toBe(200);
    const refused = await h.app.inject({ url: '/api/v1/audit', headers: h.auth(h.tokens.viewer) });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: 'FLEETBOOT_FORBIDDEN' } });
    expect(refused.json<{ error: { message: string } }>().error.message).toContain('operator');
    const [entry] = await h.store.audit.list({ action: 'auth.forbidden' });
    expect(entry).toMatchObject({
      actor: 'viewer',
      outcome: 'denied',
      details: { role: 'viewer', needs: 'operator' },
    });
  });

  it('answers 429 with Retry-After after repeated failures from one address, until the window ends', async () => {
    const h = await apiHarness({ authLimits: { maxFailures: 3, windowMs: 60_000 } });
    const bad = { authorization: `Bearer fbt_${'B'.repeat(43)}` };
    for (let i = 0; i < 3; i += 1) {
      expect((await h.app.inject({ url: '/api/v1/machines', headers: bad })).statusCode).toBe(401);
    }
    const limited = await h.app.inject({ url: '/api/v1/machines', headers: bad });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.json()).toMatchObject({ error: { code: 'FLEETBOOT_RATE_LIMITED' } });
    // Even a valid token waits: a guess that happens to be right must not be told so.
    expect(
      (await h.app.inject({ url: '/api/v1/machines', headers: h.auth(h.tokens.admin) })).statusCode,
    ).toBe(429);
    // Another address is not affected.
    const other = await h.app.inject({
      url: '/api/v1/machines',
      headers: h.auth(h.tokens.viewer),
      remoteAddress: '127.0.0.2',
    });
    expect(other.statusCode).toBe(200);
    // Public routes stay open.
    expect((await h.app.inject({ url: '/api/v1/health' })).statusCode).toBe(200);
    // The limited requests are not audited one by one: the audit log holds a bounded number per address.
    expect(await h.store.audit.list({ action: 'auth.failed' })).toHaveLength(3);

    await h.clock.advance(30_000);
    expect((await h.app.inject({ url: '/api/v1/machines', headers: bad })).headers['retry-after']).toBe('30');
    await h.clock.advance(30_000);
    expect(
      (await h.app.inject({ url: '/api/v1/machines', headers: h.auth(h.tokens.admin) })).statusCode,
    ).toBe(200);
  });

  it('takes the caller address from the socket, never from X-Forwarded-For (H05)', async () => {
    const h = await apiHarness();
    const id = await machine(h);
    const res = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/machines/${id}/labels`,
      headers: {
        ...h.auth(h.tokens.operator),
        'x-forwarded-for': '203.0.113.9',
        forwarded: 'for=203.0.113.9',
      },
      payload: { labels: { rack: 'r2' } },
    });
    expect(res.statusCode).toBe(200);
    const [entry] = await h.store.audit.list({ action: 'machine.labels' });
    expect(entry?.remoteAddress).toBe('127.0.0.1');
  });

  it('keeps tokens and their hashes out of logs, metrics, audit entries and responses (S06)', async () => {
    const h = await apiHarness();
    const id = await machine(h);
    const calls = [
      { url: '/api/v1/machines', headers: h.auth(h.tokens.admin) },
      { url: '/api/v1/tokens', headers: h.auth(h.tokens.admin) },
      { url: '/api/v1/audit', headers: h.auth(h.tokens.admin) },
      { url: `/api/v1/machines/${id}`, headers: h.auth(h.tokens.revoked) },
      { url: '/api/v1/machines', headers: { authorization: `Bearer ${h.tokens.viewer}x` } },
    ];
    const bodies: string[] = [];
    for (const call of calls) bodies.push((await h.app.inject(call)).body);
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: h.auth(h.tokens.admin),
      payload: { name: 'ci', role: 'viewer' },
    });
    const secret = created.json<{ secret: string }>().secret;
    bodies.push((await h.app.inject({ url: '/api/v1/tokens', headers: h.auth(h.tokens.admin) })).body);
    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    const everything = [
      ...bodies,
      metrics,
      JSON.stringify(h.logLines()),
      JSON.stringify(await h.store.audit.list({ limit: 1000 })),
    ].join('\n');
    for (const token of [...Object.values(h.tokens), secret]) {
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(hashApiToken(token));
    }
  });
});
