// GET /answers/<token>/<file> through fastify inject, over a real SQLite store, the real lifecycle and the fake
// clock: what the route does when the mark changes while the answer file is being rendered (review finding 4).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientIdFromMac } from '../../src/inventory/lease.js';
import type { Machine } from '../../src/inventory/machine.js';
import type { Profile } from '../../src/inventory/profile.js';
import { buildHttpApp, type HttpApp } from '../../src/net/http-app.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { machineAnswerRenderer } from '../../src/provision/answer-renderer.js';
import { BootClients } from '../../src/provision/boot-clients.js';
import { type AnswerRenderer, registerAnswerRoutes } from '../../src/provision/http-answers.js';
import { Lifecycle } from '../../src/provision/lifecycle.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { parseIpv4, parseIpv4Subnet } from '../../src/values/ipv4.js';
import { FakeClock } from '../support/fake-clock.js';
import { memoryLogger } from '../support/logger.js';
import { mac } from '../store/fixtures.js';

const HOUR = 3_600_000;
const ADDRESS = '192.0.2.10';
const SERVER = parseIpv4('192.0.2.1');
const profiles: Profile[] = [
  { name: 'debian12', os: 'debian-12-amd64', template: 'debian-preseed', kernelArgs: '', variables: {} },
];

let root: string;
let clock: FakeClock;
let store: Store;
let lifecycle: Lifecycle;
let app: HttpApp;
let logLines: () => Record<string, unknown>[];
/** What rendering does besides rendering: the window between the route's token lookup and answerServed. */
let duringRender: (machine: Machine) => Promise<void>;

/** The renderer the route uses: by default a plain one, so the tests control what happens while it runs. */
let renderer: AnswerRenderer;
const plainRenderer: AnswerRenderer = async (machine, file) => {
  await duringRender(machine);
  return {
    kind: 'answer',
    text: `# ${file} of ${machine.hostname ?? machine.id}\n`,
    contentType: 'text/plain; charset=utf-8',
  };
};

beforeEach(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'fleetboot-http-answers-'));
  clock = new FakeClock(Date.UTC(2026, 10, 27, 12));
  store = await openStore('sqlite', { dataDir: path.join(root, 'data'), now: () => clock.now() });
  await store.migrate();
  lifecycle = new Lifecycle({
    store,
    secret: new Uint8Array(32).fill(7),
    now: () => clock.now(),
    markTtlMs: 4 * HOUR,
    profiles,
    rules: [],
  });
  duringRender = () => Promise.resolve();
  renderer = plainRenderer;
  const { logger, lines } = memoryLogger();
  logLines = lines;
  app = buildHttpApp({
    logger,
    metrics: createMetrics({ processMetrics: false }),
    health: () => ({ status: 'ok', components: {} }),
    version: 'test',
  });
  await registerAnswerRoutes(app, {
    lifecycle,
    render: (machine, file, request) => renderer(machine, file, request),
    clients: new BootClients({
      leases: store.leases,
      inventory: store.inventory,
      dhcpMode: 'full',
      isOwnAddress: (address) => address === SERVER,
      now: () => clock.now(),
    }),
    audit: store.audit,
    publicUrl: 'http://192.0.2.1:8080',
    logger,
  });
  await app.ready();
});

afterEach(async () => {
  await app.close();
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

/** A machine with a profile, its lease bound at ADDRESS by this server, marked: its token. */
async function marked(): Promise<{ machine: Machine; token: string }> {
  const { machine } = await store.inventory.recordContact({ mac: mac(1) });
  await lifecycle.assign(machine.id, 'debian12', 'alice@admin');
  await store.leases.commit({
    address: parseIpv4(ADDRESS),
    subnet: parseIpv4Subnet('192.0.2.0/24'),
    clientId: clientIdFromMac(mac(1)),
    mac: mac(1),
    state: 'bound',
    expiresAt: clock.now() + 8 * HOUR,
    serverId: SERVER,
    hostname: null,
    relayAgentInfo: null,
  });
  return lifecycle.markInstall(machine.id, { actor: 'alice@admin' });
}

const fetch = (token: string) =>
  app.inject({ method: 'GET', url: `/answers/${token}/preseed.cfg`, remoteAddress: ADDRESS });

const lastAudit = async () => (await store.audit.list()).at(-1);

describe('GET /answers/<token>/<file>', () => {
  it('serves the file and moves the machine to installing', async () => {
    const { machine, token } = await marked();
    const res = await fetch(token);
    expect(res.statusCode).toBe(200);
    expect((await store.inventory.get(machine.id))?.state).toBe('installing');
  });

  it('refuses (404) a token whose mark was canceled and replaced while the file was rendered', async () => {
    const { machine, token } = await marked();
    let successor = '';
    duringRender = async () => {
      await lifecycle.cancel(machine.id, 'bob@admin');
      successor = (await lifecycle.markInstall(machine.id, { actor: 'bob@admin' })).token;
    };
    const res = await fetch(token);
    expect(res.statusCode).toBe(404);
    // The new mark waits for its own installer: the old token did not start it.
    expect((await store.inventory.get(machine.id))?.state).toBe('queued');
    expect(await lastAudit()).toMatchObject({ action: 'answer-file.fetch', outcome: 'denied' });
    duringRender = () => Promise.resolve();
    expect((await fetch(successor)).statusCode).toBe(200);
  });

  it('refuses (404, audited) a token whose mark expired while the file was rendered', async () => {
    const { machine, token } = await marked();
    duringRender = () => clock.advance(4 * HOUR);
    const res = await fetch(token);
    expect(res.statusCode).toBe(404);
    expect((await store.inventory.get(machine.id))?.state).toBe('queued');
    expect(await lastAudit()).toMatchObject({
      action: 'answer-file.fetch',
      outcome: 'denied',
      details: { refused: 'expired' },
    });
  });

  it('logs an unexpected failure by route pattern, without the token, and answers 500', async () => {
    const { token } = await marked();
    duringRender = () => Promise.reject(new Error('disk on fire'));
    const res = await fetch(token);
    expect(res.statusCode).toBe(500);
    const failure = logLines().find((line) => line.msg === 'installer request failed');
    expect(failure).toMatchObject({ route: '/answers/:token/:file', err: 'Error: disk on fire' });
    expect(JSON.stringify(logLines())).not.toContain(token);
    expect(res.body).not.toContain(token);
  });

  it('audits why there is no file: no OS image, or no such file in the template (finding 11)', async () => {
    const { machine, token } = await marked();
    renderer = machineAnswerRenderer({
      profiles,
      rules: [],
      image: () => Promise.resolve(undefined),
      proxy: undefined,
    });
    expect((await fetch(token)).statusCode).toBe(404);
    expect(await lastAudit()).toMatchObject({
      action: 'answer-file.fetch',
      target: machine.id,
      outcome: 'denied',
      details: {
        file: 'preseed.cfg',
        reason: 'the OS image of its profile is not imported',
        profile: 'debian12',
        os: 'debian-12-amd64',
      },
    });
    expect((await store.inventory.get(machine.id))?.state).toBe('queued');
  });
});
