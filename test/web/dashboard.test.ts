// The dashboard over HTTP (fastify inject, real store, real lifecycle, real API beside it): headers on every page,
// sign-in and sessions, the API's roles (S02) and audit (S08), CSRF (S13), escaping of every value (H09), the answer
// file with its secrets masked (I7), filters, the cache line, and the live streams.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import type { MachineId } from '../../src/inventory/machine.js';
import type { Mac } from '../../src/values/mac.js';
import { DASHBOARD_CSP, parseForm } from '../../src/web/index.js';
import { SESSION_COOKIE } from '../../src/web/session.js';
import { importImage, machine } from '../api/harness.js';
import { openStream } from '../api/requests.js';
import { Timeline } from '../inventory/boot-events.js';
import { CANARY_KEY, dashboardHarness, type DashboardHarness, USER_HASH } from './harness.js';

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

async function readyMachine(h: DashboardHarness, n = 1): Promise<MachineId> {
  const id = await machine(h, n);
  await h.lifecycle.assign(id, 'debian12', 'test');
  return id;
}

async function audits(h: DashboardHarness, action: string) {
  return h.store.audit.list({ action });
}

describe('every answer of the dashboard', () => {
  it('carries the CSP and the other security headers; pages are never cached, static files for a year', async () => {
    const h = await dashboardHarness();
    const id = await readyMachine(h);
    const anonymous = [await h.get('/ui/login'), await h.get('/ui/machines'), await h.get('/ui/nope')];
    const cookie = await h.login('operator');
    const pages = [
      await h.get('/ui/machines', cookie),
      await h.get(`/ui/machines/${id}`, cookie),
      await h.get(`/ui/machines/${id}/confirm?action=install`, cookie),
      await h.get('/ui/machines/00000000-0000-4000-8000-000000000009', cookie),
      await h.get('/ui/nope', cookie),
    ];
    expect([...anonymous, ...pages].map((r) => r.statusCode)).toEqual([
      200, 303, 404, 200, 200, 200, 404, 404,
    ]);
    for (const res of [...anonymous, ...pages]) {
      expect(res.headers).toMatchObject({ ...SECURITY_HEADERS, 'cache-control': 'no-store' });
    }
    // No inline script or style anywhere: the CSP would block it, and a page must not need it.
    for (const res of pages) {
      expect(res.body).not.toMatch(/<script(?![^>]*\ssrc=)|\sstyle=|\son[a-z]+=/i);
    }

    const links = [...pages[0]!.body.matchAll(/(?:src|href)="(\/ui\/static\/[^"]+)"/g)].map((m) => m[1]!);
    expect(links).toHaveLength(3);
    const require = createRequire(import.meta.url);
    for (const link of links) {
      const res = await h.get(link);
      expect(res.statusCode).toBe(200);
      expect(res.headers).toMatchObject({
        ...SECURITY_HEADERS,
        'cache-control': 'public, max-age=31536000, immutable',
      });
      if (link.endsWith('htmx.min.js')) {
        expect(res.rawPayload.equals(readFileSync(require.resolve('htmx.org/dist/htmx.min.js')))).toBe(true);
      }
    }
    // Another hash than the file's is not served: a cached URL can never mean two files.
    expect(
      (await h.get(links[0]!.replace(/static\/[0-9a-f]{16}/, 'static/0000000000000000'))).statusCode,
    ).toBe(404);
  });

  it('/ leads to the dashboard; without a session a page leads to sign-in and a stream is refused', async () => {
    const h = await dashboardHarness();
    const root = await h.get('/');
    expect([root.statusCode, root.headers.location]).toEqual([302, '/ui/machines']);
    const page = await h.get('/ui/machines');
    expect([page.statusCode, page.headers.location]).toEqual([303, '/ui/login']);
    expect((await h.get('/ui/events')).statusCode).toBe(401);
    const forged = `${SESSION_COOKIE}=${'A'.repeat(43)}`;
    expect((await h.get('/ui/machines', forged)).headers.location).toBe('/ui/login');
  });
});

describe('signing in', () => {
  it('makes a session in an HttpOnly, SameSite=Strict cookie for /ui; sign-in and sign-out are audited', async () => {
    const h = await dashboardHarness();
    const res = await h.post('/ui/login', { token: h.tokens.operator });
    expect([res.statusCode, res.headers.location]).toEqual([303, '/ui/machines']);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(
      new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=43200$`),
    );
    const session = cookie.split(';')[0]!;
    const fleet = await h.get('/ui/machines', session);
    expect(fleet.statusCode).toBe(200);
    expect(fleet.body).toContain('operator (operator)');
    // The token itself is in no page, header or audit entry.
    expect(fleet.body + JSON.stringify(fleet.headers) + cookie).not.toContain(h.tokens.operator);

    const out = await h.post('/ui/logout', { csrf: await h.csrf(session) }, session);
    expect([out.statusCode, out.headers.location]).toEqual([303, '/ui/login']);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await h.get('/ui/machines', session)).headers.location).toBe('/ui/login');
    const entries = [...(await audits(h, 'web.login')), ...(await audits(h, 'web.logout'))];
    expect(entries.map((e) => [e.actor, e.outcome, e.remoteAddress])).toEqual([
      ['operator', 'ok', '127.0.0.1'],
      ['operator', 'ok', '127.0.0.1'],
    ]);
    expect(JSON.stringify(await h.store.audit.list())).not.toContain(h.tokens.operator);
  });

  it('refuses a bad token, audits it as the API does, and counts it against the API’s own limit', async () => {
    const h = await dashboardHarness({ authLimits: { maxFailures: 3 } });
    for (const token of ['', 'fbt_nope', `fbt_${'A'.repeat(43)}`]) {
      const res = await h.post('/ui/login', { token });
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('That token was not accepted');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect((await audits(h, 'auth.failed')).map((e) => [e.target, e.details.reason])).toEqual([
      ['POST /ui/login', 'missing'],
      ['POST /ui/login', 'malformed'],
      ['POST /ui/login', 'unknown'],
    ]);
    // One limiter for both doors: the address is now refused by the dashboard and by the API, even a good token.
    const limited = await h.post('/ui/login', { token: h.tokens.admin });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    const api = await h.app.inject({ url: '/api/v1/machines', headers: h.auth(h.tokens.admin) });
    expect(api.statusCode).toBe(429);
  });

  it('a login form posted from another site is refused (login CSRF)', async () => {
    const h = await dashboardHarness();
    const res = await h.post('/ui/login', { token: h.tokens.admin }, undefined, {
      origin: 'http://evil.example',
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect((await audits(h, 'web.csrf')).map((e) => e.details.reason)).toEqual(['cross-origin']);
  });

  it('a revoked token ends its sessions at once', async () => {
    const h = await dashboardHarness();
    const cookie = await h.login('viewer');
    expect((await h.get('/ui/machines', cookie)).statusCode).toBe(200);
    await h.store.tokens.revoke('viewer');
    expect((await h.get('/ui/machines', cookie)).headers.location).toBe('/ui/login');
  });
});

describe('roles (S02) and actions (S08, S13)', () => {
  it('a viewer sees no action, and the server refuses one anyway', async () => {
    const h = await dashboardHarness();
    await importImage(h);
    const id = await readyMachine(h);
    const cookie = await h.login('viewer');
    const page = await h.get(`/ui/machines/${id}`, cookie);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/confirm\?action=|Mark for install|id="actions"/);
    expect(page.body).not.toContain('<pre class="answer"');
    expect(page.body).toContain('Shown to operators and admins.');

    const confirm = await h.get(`/ui/machines/${id}/confirm?action=install`, cookie);
    expect(confirm.statusCode).toBe(403);
    const csrf = await h.csrf(cookie);
    const post = await h.post(`/ui/machines/${id}/install`, { csrf, state: 'ready' }, cookie);
    expect(post.statusCode).toBe(403);
    expect(post.body).toContain('needs the operator role');
    expect((await h.store.inventory.get(id))?.state).toBe('ready');
    expect((await audits(h, 'auth.forbidden')).map((e) => [e.actor, e.details.needs])).toEqual([
      ['viewer', 'operator'],
      ['viewer', 'operator'],
    ]);
  });

  it('an operator marks for install through the confirmation page; the lifecycle audits it as the API’s', async () => {
    const h = await dashboardHarness();
    const id = await readyMachine(h);
    const cookie = await h.login('operator');
    const page = await h.get(`/ui/machines/${id}`, cookie);
    expect(page.body).toContain(`href="/ui/machines/${id}/confirm?action=install"`);
    const confirm = await h.get(`/ui/machines/${id}/confirm?action=install`, cookie);
    expect(confirm.body).toContain('erases its disk');
    const csrf = /name="csrf" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
    expect(confirm.body).toContain(`action="/ui/machines/${id}/install"`);
    // Only the POST acts: the confirmation page changed nothing.
    expect((await h.store.inventory.get(id))?.state).toBe('ready');

    const done = await h.post(`/ui/machines/${id}/install`, { csrf, state: 'ready' }, cookie, {
      origin: 'http://localhost:80',
      'sec-fetch-site': 'same-origin',
      host: 'localhost:80',
    });
    expect([done.statusCode, done.headers.location]).toEqual([303, `/ui/machines/${id}`]);
    const marked = await h.store.inventory.get(id);
    expect(marked?.state).toBe('queued');
    expect(marked?.installMark?.by).toBe('operator');
    const [entry] = await audits(h, 'machine.mark');
    expect(entry).toMatchObject({ actor: 'operator', target: id, outcome: 'ok', remoteAddress: '127.0.0.1' });
    expect((await h.get(`/ui/machines/${id}`, cookie)).body).toContain('Marked for install');

    // Cancel, then assign another profile: each through its own confirmation.
    expect((await h.post(`/ui/machines/${id}/cancel`, { csrf, state: 'queued' }, cookie)).statusCode).toBe(
      303,
    );
    expect((await h.store.inventory.get(id))?.state).toBe('ready');
    expect((await h.get(`/ui/machines/${id}/confirm?action=assign&profile=other`, cookie)).body).toContain(
      'install with profile other',
    );
    await h.post(`/ui/machines/${id}/assign`, { csrf, state: 'ready', profile: 'other' }, cookie);
    expect((await h.store.inventory.get(id))?.profile).toBe('other');
    expect((await audits(h, 'machine.cancel')).length + (await audits(h, 'machine.assign')).length).toBe(3);
  });

  it('a refusal of the lifecycle is shown, not hidden; a changed machine is not acted on', async () => {
    const h = await dashboardHarness();
    const id = await machine(h, 1);
    const cookie = await h.login('operator');
    const csrf = await h.csrf(cookie);
    // discovered: the page offers no install; posting it anyway reaches the lifecycle, which refuses and audits.
    await h.post(`/ui/machines/${id}/install`, { csrf, state: 'discovered' }, cookie);
    expect((await h.get(`/ui/machines/${id}`, cookie)).body).toContain(
      'Mark for install refused: discovered: assign a profile first',
    );
    expect((await audits(h, 'machine.mark')).map((e) => e.outcome)).toEqual(['denied']);
    // Confirmed while discovered, but assigned meanwhile: nothing is done.
    await h.lifecycle.assign(id, 'debian12', 'someone-else');
    await h.post(`/ui/machines/${id}/assign`, { csrf, state: 'discovered', profile: 'other' }, cookie);
    expect((await h.store.inventory.get(id))?.profile).toBe('debian12');
    expect((await h.get(`/ui/machines/${id}`, cookie)).body).toContain('The machine is ready now');
  });

  it.each([
    ['no CSRF token', {}, {}],
    ['another session’s token', { csrf: 'other' }, {}],
    ['a cross-site Origin', { csrf: 'own' }, { origin: 'http://evil.example' }],
    ['another port of this host', { csrf: 'own' }, { origin: 'http://localhost:9999' }],
    ['Sec-Fetch-Site cross-site', { csrf: 'own' }, { 'sec-fetch-site': 'cross-site' }],
  ])('refuses a state change with %s (403, audited, nothing changed)', async (_name, form, headers) => {
    const h = await dashboardHarness();
    const id = await readyMachine(h);
    const cookie = await h.login('operator');
    const other = await h.login('admin');
    const csrf =
      (form as { csrf?: string }).csrf === 'own'
        ? await h.csrf(cookie)
        : (form as { csrf?: string }).csrf === 'other'
          ? await h.csrf(other)
          : undefined;
    const res = await h.post(
      `/ui/machines/${id}/install`,
      { state: 'ready', ...(csrf === undefined ? {} : { csrf }) },
      cookie,
      headers,
    );
    expect(res.statusCode).toBe(403);
    expect((await h.store.inventory.get(id))?.state).toBe('ready');
    expect((await audits(h, 'machine.mark')).length).toBe(0);
    expect((await audits(h, 'web.csrf')).map((e) => [e.actor, e.target, e.outcome])).toEqual([
      ['operator', `/ui/machines/${id}/install`, 'denied'],
    ]);
  });
});

describe('what pages show', () => {
  it('escapes every value a machine, an event or an operator put there (H09)', async () => {
    const h = await dashboardHarness();
    const hostile = '<script>alert(1)</script>';
    const { machine: m } = await h.store.inventory.recordContact({
      mac: '52:54:00:00:00:66' as Mac,
      hostname: `"><img src=x onerror=alert(1)>${hostile}`,
      vendorClass: `PXEClient'><svg onload=alert(2)>`,
    });
    await h.store.inventory.setLabels(m.id, { rack: hostile, 'x.y/z': '" onmouseover="alert(3)' });
    await h.store.events.append({
      machineId: m.id,
      source: 'tftp',
      kind: 'TFTP RRQ',
      details: { file: `pxelinux.cfg/${hostile}`, result: 'error', errorFrom: 'client', message: hostile },
    });
    await h.store.events.append({
      machineId: m.id,
      source: 'dhcp',
      kind: hostile,
      details: { [hostile]: hostile },
    });
    const cookie = await h.login('admin');
    for (const url of [
      '/ui/machines',
      `/ui/machines/${m.id}`,
      `/ui/machines?q=${encodeURIComponent(hostile)}`,
    ]) {
      const res = await h.get(url, cookie);
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toMatch(/<script>alert|<img src=x|<svg onload|" onmouseover="alert/);
    }
    const page = (await h.get(`/ui/machines/${m.id}`, cookie)).body;
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });

  it('shows the answer file to operators with the token and every secret masked; no page shows a hash (I7)', async () => {
    const h = await dashboardHarness();
    await importImage(h);
    const id = await readyMachine(h);
    for (const role of ['operator', 'admin'] as const) {
      const page = (await h.get(`/ui/machines/${id}`, await h.login(role))).body;
      expect(page).toContain('<pre class="answer" id="answer">');
      expect(page).toContain('d-i partman-auto/disk string /dev/vda');
      expect(page).toContain('d-i passwd/user-password-crypted password ***');
      expect(page).toContain('/answers/INSTALL-TOKEN/done');
    }
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const cookie = await h.login(role);
      const pages = [await h.get(`/ui/machines/${id}`, cookie), await h.get('/ui/machines', cookie)];
      for (const res of pages) {
        expect(res.body).not.toContain(USER_HASH);
        expect(res.body).not.toContain(USER_HASH.slice(0, 20));
        expect(res.body).not.toContain(CANARY_KEY);
      }
    }
  });

  it('says why there is no answer file', async () => {
    const h = await dashboardHarness();
    const id = await readyMachine(h); // no image imported
    const page = (await h.get(`/ui/machines/${id}`, await h.login('operator'))).body;
    expect(page).toContain('None: profile debian12 installs debian-12-amd64, which is not imported');
  });

  it('names the likely cause of a stalled boot on the machine page', async () => {
    const h = await dashboardHarness();
    const id = await readyMachine(h);
    const loop = new Timeline();
    for (let i = 0; i < 3; i++)
      loop.dora({ firmware: 'bios', arch: 0, bootFile: 'undionly.kpxe' }).tftp('undionly.kpxe');
    for (const { id: _id, machineId: _m, mac: _mac, ...event } of loop.events) {
      await h.store.events.append({ ...event, machineId: id });
    }
    const page = (await h.get(`/ui/machines/${id}`, await h.login('viewer'))).body;
    expect(page).toMatch(
      /<p class="diagnosis" id="diagnosis"><strong>Diagnosis:<\/strong> chainload loop: undionly.kpxe was loaded 3 times/,
    );
    expect(page).toContain(
      'undionly.kpxe: ok, 64.0 KiB in 40 ms · blksize 1468 · windowsize 4 · tsize 65536',
    );
    expect(page).toMatch(/<li class="reached" data-step="loader">/);
    expect(page).toMatch(/<li class="" data-step="kernel">/);
  });

  it('filters by text, state and label, sorts, and counts each state', async () => {
    const h = await dashboardHarness();
    for (let n = 1; n <= 6; n++) await machine(h, n, { rack: n <= 2 ? 'r1' : 'r2' });
    await h.lifecycle.assign(await machine(h, 7), 'debian12', 'test');
    const cookie = await h.login('viewer');
    const rows = async (query: string) => {
      const body = (await h.get(`/ui/machines${query}`, cookie)).body;
      return [...body.matchAll(/<div role="cell" class="mono">(52:54:00:[0-9a-f:]+)<\/div>/g)].map(
        (m) => m[1],
      );
    };
    expect(await rows('')).toHaveLength(7);
    expect((await rows('?label=rack%3Dr1')).sort()).toEqual(['52:54:00:00:00:01', '52:54:00:00:00:02']);
    expect(await rows('?state=ready')).toEqual(['52:54:00:00:00:07']);
    expect(await rows('?q=00%3A05')).toEqual(['52:54:00:00:00:05']);
    const asc = await rows('?sort=createdAt&order=asc');
    expect(await rows('?sort=createdAt&order=desc')).toEqual([...asc].reverse());
    const fleet = (await h.get('/ui/machines?label=rack', cookie)).body;
    expect(fleet).toContain('label filter not used');
    expect(fleet).toMatch(/<strong>7<\/strong> machines/);
    expect(fleet).toMatch(/<strong>6<\/strong> <span class="badge discovered">/);
    expect(fleet).toMatch(/<strong>1<\/strong> <span class="badge ready">/);
  });

  it('shows the package cache’s saving when the cache is on', async () => {
    const savings = {
      upstreamCopies: 1,
      served: 480,
      upstreamBytes: 1024 * 1024,
      servedBytes: 480 * 1024 * 1024,
      storedFiles: 1,
      storedBytes: 1024 * 1024,
    };
    const on = await dashboardHarness({ cacheSavings: () => savings });
    const page = (await on.get('/ui/machines', await on.login('viewer'))).body;
    expect(page).toContain('Package cache: 1 upstream copy, 480 served (1.0 MiB in, 480.0 MiB out)');
    const off = await dashboardHarness();
    expect((await off.get('/ui/machines', await off.login('viewer'))).body).not.toContain('Package cache');
  });

  it('reads posted forms without a prototype: __proto__ is just a field (H08)', () => {
    const form = parseForm('__proto__=x&constructor=y&a=1&a=2&csrf=%3Cz%3E');
    expect(Object.getPrototypeOf(form)).toBeNull();
    expect(Object.entries(form)).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
      ['a', '1'],
      ['csrf', '<z>'],
    ]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('downloads the boot capture through the API’s own route, as the API gives it to the session’s role', async () => {
    const h = await dashboardHarness();
    const id = await readyMachine(h);
    const viewer = await h.login('viewer');
    expect((await h.get(`/ui/machines/${id}`, viewer)).body).toContain(`href="/ui/machines/${id}/capture"`);
    const res = await h.get(`/ui/machines/${id}/capture`, viewer);
    const api = await h.app.inject({
      url: `/api/v1/machines/${id}/capture`,
      headers: h.auth(h.tokens.viewer),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.tcpdump.pcap');
    expect(res.headers['content-disposition']).toBe(api.headers['content-disposition']);
    expect(res.rawPayload.equals(api.rawPayload)).toBe(true);
    // A classic libpcap file (its magic number), with no packet: this machine never booted.
    expect(res.rawPayload.subarray(0, 4).toString('hex')).toBe('a1b2c3d4');
    expect(res.rawPayload.length).toBe(24);
    expect(
      (await h.get('/ui/machines/00000000-0000-4000-8000-00000000000f/capture', viewer)).statusCode,
    ).toBe(404);
  });
});

describe('live updates', () => {
  it('the fleet stream sends a changed machine’s row and the counts; the machine stream its new timeline rows', async () => {
    const h = await dashboardHarness({ eventStream: { pollMs: 20, heartbeatMs: 60_000 } });
    const id = await readyMachine(h);
    const cookie = await h.login('operator');
    const after = Number(
      /sse-connect="\/ui\/events\?after=(\d+)"/.exec((await h.get('/ui/machines', cookie)).body)?.[1],
    );
    const fleet = await openStream(h, `/ui/events?after=${String(after)}`, { cookie });
    const one = await openStream(h, `/ui/machines/${id}/events?after=${String(after)}`, { cookie });
    expect([fleet.statusCode, one.statusCode, fleet.headers['content-type']]).toEqual([
      200,
      200,
      'text/event-stream; charset=utf-8',
    ]);
    await h.lifecycle.markInstall(id, { actor: 'someone' });
    await vi.waitFor(() => {
      expect(fleet.body).toContain(`event: m-${id}\ndata: <div role="row" class="row" id="m-${id}"`);
      expect(fleet.body).toMatch(/event: counts\ndata: .*<strong>1<\/strong> <span class="badge queued">/);
    });
    await vi.waitFor(() => {
      expect(one.body).toMatch(
        /event: timeline\ndata: <tr id="e-\d+"><td class="mono">[^<]+<\/td><td class="mono muted">\+\d+\.\d{3} s<\/td><td><\/td><td class="what">lifecycle · install marked/,
      );
      expect(one.body).toMatch(
        /event: summary\ndata: <h1>52:54:00:00:00:01 <span class="badge queued">queued<\/span><\/h1>/,
      );
    });
    // Each message of an event batch carries its id, so a reconnect resumes after it.
    expect(one.body).toMatch(/id: \d+\nevent: timeline/);
    fleet.close();
    one.close();
  });

  it('a stream ends when its session does', async () => {
    const h = await dashboardHarness({ eventStream: { pollMs: 20, heartbeatMs: 30 } });
    const cookie = await h.login('viewer');
    const stream = await openStream(h, '/ui/events', { cookie });
    expect(stream.statusCode).toBe(200);
    await h.store.tokens.revoke('viewer');
    await stream.ended;
    expect((await openStream(h, '/ui/events', { cookie })).statusCode).toBe(401);
  });
});
