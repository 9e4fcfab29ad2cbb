// Machines over the API: list with filter, sort and paging; labels (catalogue H06, H07); the lifecycle commands
// with their audit trail (S08, I8); profiles with their secrets redacted (I7, S06); one error shape.
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../src/inventory/machine.js';
import { Timeline } from '../inventory/boot-events.js';
import { apiHarness, CANARY_HASH, CANARY_KEY, machine, machineIn } from './harness.js';

interface Page {
  items: Machine[];
  nextCursor: string | null;
  total: number;
}

describe('machines over the API', () => {
  it('lists with filters, sort and keyset paging over the whole inventory', async () => {
    const h = await apiHarness();
    for (let n = 1; n <= 25; n += 1) await machine(h, n, { rack: n % 2 === 0 ? 'even' : 'odd' });
    await h.lifecycle.assign(await machine(h, 30), 'debian12', 'test');
    const get = async (query: string) =>
      (
        await h.app.inject({ url: `/api/v1/machines?${query}`, headers: h.auth(h.tokens.viewer) })
      ).json<Page>();

    const seen: string[] = [];
    let page = await get('limit=10&label=rack=odd');
    expect(page.total).toBe(13);
    for (;;) {
      seen.push(...page.items.map((m) => m.id));
      if (page.nextCursor === null) break;
      page = await get(`limit=10&label=rack=odd&cursor=${encodeURIComponent(page.nextCursor)}`);
    }
    expect(new Set(seen).size).toBe(13);
    expect((await get('state=ready')).items.map((m) => m.macs[0])).toEqual(['52:54:00:00:00:1e']);
    expect((await get('state=ready&state=discovered')).total).toBe(26);
    expect((await get('q=00:00:0a')).items.map((m) => m.macs[0])).toEqual(['52:54:00:00:00:0a']);
    // Descending is ascending reversed (machines created in one millisecond are ordered by id both ways), and the
    // newest machine sorts first among those created before it.
    const ids = async (query: string) => (await get(query)).items.map((m) => m.id);
    const asc = await ids('sort=createdAt&order=asc&limit=100');
    expect(asc).toHaveLength(26);
    expect(await ids('sort=createdAt&order=desc&limit=100')).toEqual([...asc].reverse());
    const newest = (await get('sort=createdAt&order=desc&limit=100')).items;
    expect(newest[0]?.createdAt).toBe(Math.max(...newest.map((m) => m.createdAt)));
    // No install-token hash in any machine (catalogue S06).
    await h.lifecycle.markInstall((await get('state=ready')).items[0]?.id ?? ('' as never), {
      actor: 'test',
    });
    const marked = await get('state=queued');
    expect(marked.items[0]?.installMark).toEqual({
      by: 'test',
      at: expect.any(Number) as number,
      expiresAt: expect.any(Number) as number,
    });
    expect(JSON.stringify(marked)).not.toMatch(/tokenHash|[0-9a-f]{64}/);
  });

  it('refuses malformed queries with a stable code and a message that names the field', async () => {
    const h = await apiHarness();
    for (const [query, field] of [
      ['limit=0', 'querystring/limit'],
      ['limit=abc', 'querystring/limit'],
      ['state=booting', 'querystring/state'],
      ['sort=password', 'querystring/sort'],
      ['unknown=1', 'unknown properties: unknown'],
    ] as const) {
      const res = await h.app.inject({ url: `/api/v1/machines?${query}`, headers: h.auth(h.tokens.viewer) });
      expect(res.statusCode, query).toBe(400);
      expect(res.json<{ error: { code: string; message: string } }>().error).toMatchObject({
        code: 'FLEETBOOT_INVALID_REQUEST',
        message: expect.stringContaining(field) as string,
      });
    }
    const cursor = await h.app.inject({
      url: '/api/v1/machines?cursor=garbage',
      headers: h.auth(h.tokens.viewer),
    });
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json()).toMatchObject({ error: { code: 'FLEETBOOT_INVALID_CURSOR' } });
    const missing = await h.app.inject({
      url: '/api/v1/machines/00000000-0000-4000-8000-000000000000',
      headers: h.auth(h.tokens.viewer),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'FLEETBOOT_MACHINE_NOT_FOUND' } });
  });

  it('stores template syntax in labels as data and refuses line breaks and NULs (H06, H07)', async () => {
    const h = await apiHarness();
    const id = await machine(h);
    const literal = {
      a: '{{7*7}}',
      b: '<%= 7*7 %>',
      c: '${7*7}',
      d: '#set',
      e: "{{constructor.constructor('return process')()}}",
    };
    const put = (labels: Record<string, string>) =>
      h.app.inject({
        method: 'PUT',
        url: `/api/v1/machines/${id}/labels`,
        headers: h.auth(h.tokens.operator),
        payload: { labels },
      });
    const res = await put(literal);
    expect(res.statusCode).toBe(200);
    expect(res.json<Machine>().labels).toEqual(literal);
    expect((await h.store.inventory.get(id))?.labels).toEqual(literal);
    for (const labels of [
      { a: 'x\nd-i preseed/late_command string rm -rf /' },
      { a: 'x\r' },
      { a: 'x\u0000' },
      { 'bad key': 'x' },
      { a: 'x'.repeat(201) },
    ]) {
      const refused = await put(labels);
      expect(refused.statusCode, JSON.stringify(labels)).toBe(400);
    }
    expect((await h.store.inventory.get(id))?.labels).toEqual(literal);
  });

  it('assigns, marks, cancels and forgets through the lifecycle; each change audited once (S08, I8)', async () => {
    const h = await apiHarness();
    const id = await machine(h);
    const call = (
      method: 'PUT' | 'POST' | 'DELETE',
      path: string,
      payload?: object,
      token = h.tokens.operator,
    ) =>
      h.app.inject({
        method,
        url: `/api/v1/machines/${id}${path}`,
        headers: h.auth(token),
        ...(payload === undefined ? {} : { payload }),
      });

    const early = await call('POST', '/install');
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: { code: 'FLEETBOOT_NO_PROFILE' } });
    expect((await call('PUT', '/profile', { profile: 'nonesuch' })).json()).toMatchObject({
      error: { code: 'FLEETBOOT_UNKNOWN_PROFILE' },
    });
    expect((await call('PUT', '/profile', { profile: 'debian12' })).json()).toMatchObject({ state: 'ready' });
    const marked = await call('POST', '/install', { ttlMs: 3_600_000 });
    expect(marked.statusCode).toBe(200);
    expect(marked.json()).toMatchObject({ state: 'queued', installMark: { by: 'operator' } });
    expect(marked.body).not.toMatch(/token/i);
    expect((await call('DELETE', '', undefined, h.tokens.admin)).json()).toMatchObject({
      error: { code: 'FLEETBOOT_WRONG_STATE' },
    });
    expect((await call('POST', '/cancel')).json()).toMatchObject({ state: 'ready', installMark: null });
    expect((await call('POST', '/install', { ttlMs: 1 })).statusCode).toBe(400);
    expect((await call('DELETE', '', undefined, h.tokens.admin)).statusCode).toBe(200);
    expect(await h.store.inventory.get(id)).toBeUndefined();

    const trail = (await h.store.audit.list({ target: id, limit: 100 })).map(
      (e) => `${e.actor} ${e.action} ${e.outcome}`,
    );
    expect(trail).toEqual([
      'operator machine.mark denied',
      'operator machine.assign denied',
      'operator machine.assign ok',
      'operator machine.mark ok',
      'admin machine.forget denied',
      'operator machine.cancel ok',
      'operator machine.mark error',
      'admin machine.forget ok',
    ]);
    const entries = await h.store.audit.list({ target: id, limit: 100 });
    expect(entries.every((e) => e.remoteAddress === '127.0.0.1')).toBe(true);
  });

  it('audits a refused label change with its outcome, and a successful one with who and from where', async () => {
    const h = await apiHarness();
    const id = await machine(h);
    const url = `/api/v1/machines/${id}/labels`;
    await h.app.inject({
      method: 'PUT',
      url,
      headers: h.auth(h.tokens.operator),
      payload: { labels: { a: 'b' } },
    });
    await h.app.inject({
      method: 'PUT',
      url,
      headers: h.auth(h.tokens.operator),
      payload: { labels: { a: 'c' }, version: 1 },
    });
    await h.app.inject({ method: 'PUT', url, headers: h.auth(h.tokens.operator), payload: { labels: 'x' } });
    const trail = await h.store.audit.list({ action: 'machine.labels' });
    expect(trail.map((e) => [e.actor, e.outcome, e.details.status ?? null, e.details.code ?? null])).toEqual([
      ['operator', 'ok', null, null],
      ['operator', 'error', 409, 'FLEETBOOT_MACHINE_CONFLICT'],
      ['operator', 'error', 400, 'FLEETBOOT_INVALID_REQUEST'],
    ]);
  });

  it('shows profiles without their password hashes or secret values (I7, S06), and the rules', async () => {
    const h = await apiHarness();
    const res = await h.app.inject({ url: '/api/v1/profiles', headers: h.auth(h.tokens.viewer) });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(CANARY_HASH);
    expect(res.body).not.toContain(CANARY_KEY);
    expect(res.json()).toMatchObject({
      items: [
        {
          name: 'debian12',
          variables: { users: [{ name: 'root', hash: '***' }], mirrorApiKey: '***', locale: 'en_US.UTF-8' },
        },
      ],
    });
    const rules = await h.app.inject({ url: '/api/v1/rules', headers: h.auth(h.tokens.viewer) });
    expect(rules.json()).toMatchObject({
      items: [
        {
          name: 'rack-r1',
          profile: 'debian12',
          selector: { subnet: '192.0.2.0/24', labels: { rack: 'r1' } },
        },
      ],
    });
    expect(JSON.stringify(h.logLines())).not.toContain(CANARY_HASH);
  });

  it('reads a machine timeline and the fleet-wide log by id and time', async () => {
    const h = await apiHarness();
    const id = await machineIn(h, 'queued');
    await h.store.events.append({
      machineId: id,
      source: 'dhcp',
      kind: 'DHCPDISCOVER',
      details: { xid: '0x1' },
    });
    const all = await h.app.inject({
      url: `/api/v1/machines/${id}/events`,
      headers: h.auth(h.tokens.viewer),
    });
    const kinds = all.json<{ items: { id: number; kind: string }[] }>().items;
    expect(kinds.at(-1)?.kind).toBe('DHCPDISCOVER');
    const after = kinds.at(-2)?.id ?? 0;
    const tail = await h.app.inject({
      url: `/api/v1/events?afterId=${after}`,
      headers: h.auth(h.tokens.viewer),
    });
    expect(tail.json<{ items: { kind: string }[] }>().items.map((e) => e.kind)).toEqual(['DHCPDISCOVER']);
  });

  it('shows with one machine the likely cause of its stalled boot, for the CLI to show too', async () => {
    const h = await apiHarness();
    const id = await machine(h, 1);
    const show = async () =>
      (await h.app.inject({ url: `/api/v1/machines/${id}`, headers: h.auth(h.tokens.viewer) })).json<{
        diagnosis: { code: string; summary: string; eventIds: number[] } | null;
        hostname: string | null;
      }>();
    expect((await show()).diagnosis).toBeNull();
    // iPXE handed iPXE again by its DHCP answer, three times over (the TFTP events as tftp-timeline.ts writes them).
    const loop = new Timeline();
    for (let i = 0; i < 3; i++)
      loop.dora({ firmware: 'bios', arch: 0, bootFile: 'undionly.kpxe' }).tftp('undionly.kpxe');
    const ids: number[] = [];
    for (const { id: _id, machineId: _m, ...event } of loop.events) {
      ids.push(await h.store.events.append(event.source === 'tftp' ? event : { ...event, machineId: id }));
    }
    const shown = await show();
    expect(shown.hostname).toBeNull();
    expect(shown.diagnosis).toMatchObject({ code: 'chainload-loop' });
    expect(shown.diagnosis?.summary).toContain('undionly.kpxe was loaded 3 times');
    expect(shown.diagnosis?.eventIds).toEqual([ids[4], ids[9], ids[14]]);
  });
});
