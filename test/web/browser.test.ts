// The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core through its executable
// path: no browser download), against a real fleetboot (main.ts startServer: SQLite, HTTP and TFTP on loopback)
// holding 1,000 machines. It signs in with a token, measures the fleet page (< 1 s, issue 6), filters it, watches a
// row change state live, opens a machine and watches its boot timeline fill in live while the test drives the DHCP
// listener's intake and engine (without its socket), a real TFTP client and HTTP from the machine's leased loopback
// address, marks it for install through the confirmation page, follows the install to its done callback and
// downloads its boot capture; a viewer cannot act; no page breaks its CSP. Screenshots go to
// test-artifacts/dashboard/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultBootFileTable } from '../../src/boot/boot-file.js';
import { Catalog } from '../../src/catalog/catalog.js';
import type { FleetbootConfig } from '../../src/config/schema.js';
import { createDhcpEngine, type DhcpEngine } from '../../src/dhcp/engine.js';
import type { Machine } from '../../src/inventory/machine.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { createApiToken } from '../../src/api/tokens.js';
import { loadOrCreateSecret } from '../../src/provision/install-token.js';
import { Lifecycle } from '../../src/provision/lifecycle.js';
import { systemClock } from '../../src/net/clock.js';
import { DhcpIntake } from '../../src/net/dhcp-intake.js';
import { dhcpTransportMetrics } from '../../src/net/dhcp-metrics.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { decodeDhcpMessage, type DhcpMessage, encodeDhcpMessage } from '../../src/protocol/dhcp4/index.js';
import { type Ipv4, parseIpv4 } from '../../src/values/ipv4.js';
import type { Mac } from '../../src/values/mac.js';
import { writeTree } from '../catalog/support.js';
import { dhcpConfig } from '../dhcp/support.js';
import { tftpGet } from '../net/tftp-fixtures/client.js';
import { golden } from '../protocol/dhcp4/support.js';
import { loadConfigText } from '../support/config-text.js';
import { memoryLogger } from '../support/logger.js';

const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p));
const ARTIFACTS = path.resolve('test-artifacts/dashboard');
const FLEET_SIZE = 1000;
/** The OVMF x64 firmware of the golden DISCOVER (test/golden/dhcp4/ovmf-x64-discover.txt). */
const LIVE_MAC = '52:54:00:fb:ca:11' as Mac;
const SERVER_ADDRESS = parseIpv4('127.0.0.1');
const HASH =
  '$6$saltsalt$JcVDtuB6d1BHhCd5RPBh8g8xX/1CbY8EU2PN0MTaj2/Mypw4P./C6dN4j0HALhzBDTocyW1Jm.gYaTPjFGCV40';
const UI_TIMEOUT = 10_000;

let dir: string;
let server: RunningServer;
let engine: DhcpEngine;
let intake: DhcpIntake;
let browser: Browser;
let base: string;
let tokens: { operator: string; viewer: string; admin: string };
let live: Machine;
/** CSP violations and page errors, per page, as the pages report them. */
const problems: string[] = [];

beforeAll(async () => {
  if (CHROMIUM === undefined) throw new Error('chromium is not installed: run scripts/setup-test.sh');
  dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-browser-'));
  const dataDir = path.join(dir, 'data');
  const tftpRoot = writeTree(path.join(dir, 'tftp'), { 'snponly.efi': 'L'.repeat(70_000) });
  const { config } = loadConfigText(`
dataDir: ${dataDir}
http: {listen: '127.0.0.1:0'}
tftp: {listen: '127.0.0.1:0', roots: ['${tftpRoot}']}
profiles:
  - name: debian12
    os: debian-12-amd64
    template: debian-preseed
    variables: {disk: /dev/vda, username: ops, userPasswordHash: '${HASH}'}
machines:
  - macs: ['${LIVE_MAC}']
    hostname: node-live
    profile: debian12
`);
  const { logger } = memoryLogger('warn');
  const tree = writeTree(path.join(dir, 'tree'), {
    'version.info': 'Debian version:  12 (bookworm)\nInstaller build: 20230607+deb12u15\n',
    'debian-installer/amd64/linux': 'K'.repeat(300_000),
    'debian-installer/amd64/initrd.gz': 'I'.repeat(900_000),
  });
  await new Catalog({ bootRoot: path.join(dataDir, 'boot'), logger, now: Date.now }).import({ source: tree });
  server = await startServer({ config, logger });
  base = `http://${server.httpAddress}`;
  const token = async (role: 'operator' | 'viewer' | 'admin') =>
    (await createApiToken(server.store.tokens, { name: `${role}-1`, role, createdBy: 'test' })).secret;
  tokens = { operator: await token('operator'), viewer: await token('viewer'), admin: await token('admin') };
  await seedFleet(server, dataDir, config);
  const found = await server.store.inventory.getByMac(LIVE_MAC);
  if (found === undefined) throw new Error('the declared machine was not enrolled');
  live = found;
  // The real DHCP engine over the server's store, on a loopback segment: its events, contacts and leases are the
  // ones a DHCP listener would write (the listener needs an interface of its own, which only the lab has).
  engine = createDhcpEngine({
    config: dhcpConfig([
      { subnet: '127.0.0.0/8', pools: [{ start: '127.0.0.50', end: '127.0.0.59' }], leaseTime: 3600 },
    ]),
    leases: server.store.leases,
    inventory: server.store.inventory,
    events: server.store.events,
    clock: systemClock,
    logger,
    metrics: createMetrics({ processMetrics: false }),
    bootFiles: defaultBootFileTable(base),
  });
  await engine.start();
  // The listener's own path without its socket (which needs an interface of its own): decode, hand to the engine,
  // send the reply, and show both to the server's boot capture.
  intake = new DhcpIntake({
    interfaceName: 'fb0',
    interfaceAddress: SERVER_ADDRESS,
    handler: engine,
    send: (_port, bytes) => {
      replies.shift()?.(bytes);
      return Promise.resolve();
    },
    metrics: dhcpTransportMetrics(server.metrics),
    logger,
    clock: systemClock,
    capture: server.capture.dhcp,
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 60_000);

afterAll(async () => {
  // Whatever beforeAll got to before it failed.
  await (browser as Browser | undefined)?.close();
  await (intake as DhcpIntake | undefined)?.idle();
  await (engine as DhcpEngine | undefined)?.stop();
  await (server as RunningServer | undefined)?.stop();
  if ((dir as string | undefined) !== undefined) rmSync(dir, { recursive: true, force: true });
});

/**
 * 1,000 machines in 20 racks, enrolled as DHCP enrols them (in batches), a tenth of them taken through the
 * lifecycle as the API and the installer's callbacks would: ready, queued, installing, installed, failed.
 */
async function seedFleet(running: RunningServer, dataDir: string, config: FleetbootConfig): Promise<void> {
  const contacts = Array.from({ length: FLEET_SIZE - 1 }, (_, i) => ({
    mac: `52:54:01:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}` as Mac,
    hostname: `${rack(i)}-n${String(i).padStart(4, '0')}`,
    arch: i % 3 === 0 ? 0 : 7,
  }));
  const enrolled: Machine[] = [];
  for (let at = 0; at < contacts.length; at += 100) {
    enrolled.push(
      ...(await running.store.inventory.recordContacts(contacts.slice(at, at + 100))).map((r) => r.machine),
    );
  }
  const lifecycle = new Lifecycle({
    store: running.store,
    secret: await loadOrCreateSecret(dataDir),
    now: Date.now,
    markTtlMs: config.install.markTtlMs,
    profiles: config.profiles,
    rules: config.rules,
  });
  const installer = { address: '192.0.2.10' };
  for (const [i, machine] of enrolled.entries()) {
    if (i % 5 === 0) await running.store.inventory.setLabels(machine.id, { rack: rack(i) });
    if (i % 10 !== 1) continue;
    await lifecycle.assign(machine.id, 'debian12', 'seed');
    if (i % 20 !== 1) continue;
    const { machine: marked, token } = await lifecycle.markInstall(machine.id, { actor: 'seed' });
    if (i % 40 !== 1) continue;
    await lifecycle.answerServed(marked, { ...installer, file: 'preseed.cfg', token });
    if (i % 80 === 1) await lifecycle.installDone(token, installer);
    else if (i % 160 === 41)
      await lifecycle.installFailed(token, { ...installer, reason: 'partman: no disk' });
  }
}

/**
 * The UDP ports of each packet of a classic libpcap file (24-byte file header, 16-byte record headers, big-endian
 * as fleetboot writes them; Ethernet, IPv4 with its header length, UDP).
 */
function pcapPorts(file: Buffer): [number, number][] {
  const ports: [number, number][] = [];
  for (let at = 24; at + 16 <= file.length; at += 16 + file.readUInt32BE(at + 8)) {
    const ip = at + 16 + 14;
    const udp = ip + (file.readUInt8(ip) & 0x0f) * 4;
    ports.push([file.readUInt16BE(udp), file.readUInt16BE(udp + 2)]);
  }
  return ports;
}

/** Racks of 50, in enrolment order: r01 … r20. */
function rack(i: number): string {
  return `r${String(1 + Math.floor(i / 50)).padStart(2, '0')}`;
}

/** Replies the intake sends, to the exchange waiting for each. */
const replies: ((bytes: Uint8Array) => void)[] = [];

/** A client message of the live machine's firmware, through the DHCP intake as a datagram; resolves with the reply. */
function send(message: DhcpMessage): Promise<DhcpMessage> {
  return new Promise((resolve) => {
    replies.push((bytes) => {
      resolve(decodeDhcpMessage(bytes));
    });
    intake.accept(encodeDhcpMessage(message), 67, { address: '0.0.0.0', port: 68 });
  });
}

/** DISCOVER, OFFER, REQUEST, ACK of the live machine's UEFI firmware; returns its address. */
async function dora(): Promise<Ipv4> {
  const discover = decodeDhcpMessage(golden('ovmf-x64-discover'));
  const offer = await send(discover);
  const ack = await send({
    ...discover,
    messageType: 'request',
    options: {
      ...discover.options,
      requestedIpAddress: offer.yourAddress,
      serverIdentifier: SERVER_ADDRESS,
    },
  });
  expect([offer.messageType, ack.messageType]).toEqual(['offer', 'ack']);
  await engine.flushEvents();
  return ack.yourAddress;
}

/** One HTTP request from the machine's leased loopback address (the kernel accepts all of 127/8 as local). */
function fromMachine(
  address: string,
  method: string,
  url: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${url}`,
      {
        method,
        localAddress: address,
        headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The firmware's boot up to its iPXE script: DHCP, the loader over TFTP, the script over HTTP. */
async function bootToScript(): Promise<{ address: string; script: string }> {
  const address = await dora();
  const [host, port] = (server.tftpAddress ?? '').split(':');
  const loader = await tftpGet({
    server: { address: host ?? '', port: Number(port) },
    file: 'snponly.efi',
    blksize: 1468,
    windowsize: 4,
    tsize: true,
    bindAddress: address,
  });
  expect(loader.ok).toBe(true);
  const script = await fromMachine(
    address,
    'GET',
    '/boot/ipxe/52-54-00-fb-ca-11?buildarch=x86_64&platform=efi',
  );
  expect(script.status).toBe(200);
  return { address, script: script.body };
}

async function newPage(context: BrowserContext, name: string): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content.Security.Policy|Refused to/i.test(message.text()))
      problems.push(`${name}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${name}: ${error.message}`));
  return page;
}

async function signIn(role: 'operator' | 'viewer'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  // Every page reports its CSP violations into a list the test reads (not an inline script: CDP injects it).
  await context.addInitScript(
    "window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => " +
      "window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));",
  );
  const page = await newPage(context, role);
  await page.goto(`${base}/ui/login`);
  await page.fill('#token', tokens[role]);
  await Promise.all([page.waitForURL(`${base}/ui/machines`), page.click('button[type=submit]')]);
  return { context, page };
}

async function violations(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('window.__violations');
}

async function api(method: string, url: string): Promise<number> {
  const res = await fetch(`${base}/api/v1${url}`, {
    method,
    headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: '{}' } : {}),
  });
  return res.status;
}

describe('the dashboard in Chromium', () => {
  let operator: { context: BrowserContext; page: Page };

  it(`signs in and loads a fleet of ${String(FLEET_SIZE)} machines in under a second`, async () => {
    operator = await signIn('operator');
    const { page } = operator;
    // Three loads, each timed from navigation start to the frame after the table was laid out (the first
    // requestAnimationFrame after load); the median is held to the second, so one stall of a shared CI
    // core does not decide it.
    const loads: Record<string, number>[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(`${base}/ui/machines`, { waitUntil: 'load' });
      loads.push(
        await page.evaluate<Record<string, number>>(
          "new Promise((resolve) => requestAnimationFrame(() => { const n = performance.getEntriesByType('navigation')[0]; " +
            'resolve({ server: n.responseStart - n.requestStart, received: n.responseEnd, parsed: n.domContentLoadedEventEnd, ' +
            'loaded: n.loadEventEnd, painted: performance.now(), bytes: n.transferSize }); }))',
        ),
      );
      expect(await page.locator('#fleet .body .row').count()).toBe(FLEET_SIZE);
    }
    const ms = (key: string) => loads.map((l) => (l[key] ?? Number.NaN).toFixed(0)).join('/');
    const median = loads.map((l) => l.painted ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b)[1];
    console.log(
      `[measured] fleet page of ${String(FLEET_SIZE)} rows in Chromium, 3 loads: server (first byte) ${ms('server')} ms, ` +
        `received ${ms('received')} ms (${String(loads[0]?.bytes)} B), DOM ready ${ms('parsed')} ms, load ${ms('loaded')} ms, ` +
        `table painted ${ms('painted')} ms after navigation start (median ${String(median?.toFixed(0))} ms)`,
    );
    expect(median).toBeLessThan(1000);
    await expect
      .poll(() => page.locator('#counts').textContent())
      .toContain(`${String(FLEET_SIZE)} machines`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'fleet.png') });
  });

  it('filters the fleet by text, state and label', async () => {
    const { page } = operator;
    await page.fill('input[name=q]', 'r07-');
    await Promise.all([page.waitForURL(/q=r07-/), page.click('form.filters button[type=submit]')]);
    expect(await page.locator('#fleet .body .row').count()).toBe(50);
    expect(await page.locator('#shown').textContent()).toBe('50 shown of 50 matching');
    await page.fill('input[name=q]', '');
    await page.selectOption('select[name=state]', 'ready');
    await Promise.all([page.waitForURL(/state=ready/), page.click('form.filters button[type=submit]')]);
    const ready = (await server.store.inventory.list({ filter: { states: ['ready'] }, limit: 1 })).total;
    const rows = await page.locator('#fleet .body .row').allTextContents();
    expect(ready).toBeGreaterThan(1);
    expect(rows).toHaveLength(ready);
    expect(rows.every((row) => row.includes('ready'))).toBe(true);
    expect(rows.some((row) => row.includes('node-live'))).toBe(true);
    await page.selectOption('select[name=state]', '');
    await page.fill('input[name=label]', 'rack=r01');
    await Promise.all([page.waitForURL(/label=rack/), page.click('form.filters button[type=submit]')]);
    expect(await page.locator('#fleet .body .row').count()).toBe(10);
  });

  it('changes a row’s state live when the machine changes, without a reload', async () => {
    const { page } = operator;
    await page.goto(`${base}/ui/machines?q=node-live`);
    await page.evaluate('window.__sameDocument = true');
    const badge = page.locator(`#m-${live.id} .badge`);
    expect(await badge.textContent()).toBe('ready');
    await page.waitForFunction("document.querySelector('[sse-connect]') !== null");
    expect(await api('POST', `/machines/${live.id}/install`)).toBe(200);
    await expect.poll(() => badge.textContent(), { timeout: UI_TIMEOUT }).toBe('queued');
    expect(await api('POST', `/machines/${live.id}/cancel`)).toBe(200);
    await expect.poll(() => badge.textContent(), { timeout: UI_TIMEOUT }).toBe('ready');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
  });

  it('shows a machine’s boot timeline filling in live as it boots: DHCP, TFTP loader, iPXE script', async () => {
    const { page } = operator;
    await Promise.all([page.waitForURL(`${base}/ui/machines/${live.id}`), page.click(`#m-${live.id} a`)]);
    await page.evaluate('window.__sameDocument = true');
    // Let the page's stream connect before the boot starts, so what follows arrives live.
    await page.waitForTimeout(300);
    await bootToScript();
    const rows = page.locator('#timeline tr');
    await expect
      .poll(() => rows.allTextContents(), { timeout: UI_TIMEOUT })
      .toEqual(
        expect.arrayContaining([
          expect.stringContaining('dhcp · DHCPDISCOVER'),
          expect.stringContaining('dhcp · DHCPOFFER'),
          expect.stringContaining('dhcp · DHCPACK'),
          expect.stringMatching(
            /tftp · TFTP RRQ.*snponly\.efi: ok, 68\.4 KiB in \d+ ms · blksize 1468 · windowsize 4 · tsize 70000/,
          ),
          expect.stringContaining('http · iPXE script'),
        ]),
      );
    await expect.poll(() => page.locator('li[data-step=loader]').getAttribute('class')).toBe('reached');
    expect(await page.locator('li[data-step=config]').getAttribute('class')).toBe('reached');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
  });

  it('marks the machine for install through the confirmation page; the store and the audit log have it', async () => {
    const { page } = operator;
    await Promise.all([page.waitForURL(/confirm\?action=install/), page.click('text=Mark for install')]);
    expect(await page.locator('.confirm p').nth(1).textContent()).toContain('erases its disk');
    await page.screenshot({ path: path.join(ARTIFACTS, 'confirm.png') });
    expect((await server.store.inventory.get(live.id))?.state).toBe('ready');
    await Promise.all([page.waitForURL(`${base}/ui/machines/${live.id}`), page.click('#confirm')]);
    expect(await page.locator('.notice').textContent()).toContain('Marked for install');
    expect(await page.locator('#live h1 .badge').textContent()).toBe('queued');
    const marked = await server.store.inventory.get(live.id);
    expect([marked?.state, marked?.installMark?.by]).toEqual(['queued', 'operator-1']);
    const [entry] = await server.store.audit.list({ action: 'machine.mark', actor: 'operator-1' });
    expect(entry).toMatchObject({ target: live.id, outcome: 'ok', remoteAddress: '127.0.0.1' });
  });

  it('follows the install live to its done callback: kernel, initrd, answer file, callback', async () => {
    const { page } = operator;
    await page.evaluate('window.__sameDocument = true');
    await page.waitForTimeout(300);
    const { address, script } = await bootToScript();
    const kernel = /^kernel (\S+)/m.exec(script)?.[1] ?? '';
    const answer = /url=(\S+)/.exec(script)?.[1] ?? '';
    const initrd = /^initrd --name \S+ (\S+)/m.exec(script)?.[1] ?? '';
    expect([kernel, initrd, answer].every((u) => u.startsWith(base))).toBe(true);
    for (const url of [kernel, initrd, answer]) {
      expect((await fromMachine(address, 'GET', url.slice(base.length))).status).toBe(200);
    }
    await expect
      .poll(() => page.locator('#live h1 .badge').textContent(), { timeout: UI_TIMEOUT })
      .toBe('installing');
    const done = answer.replace(/\/preseed\.cfg$/, '/done');
    expect((await fromMachine(address, 'POST', done.slice(base.length), 'ok=1')).status).toBe(200);
    await expect
      .poll(() => page.locator('#live h1 .badge').textContent(), { timeout: UI_TIMEOUT })
      .toBe('installed');
    await expect
      .poll(() =>
        page.evaluate<string[]>(
          "[...document.querySelectorAll('ol.steps li')].map((i) => `${i.dataset.step}:${i.className}`)",
        ),
      )
      .toEqual([
        'discover:reached',
        'offer:reached',
        'request:reached',
        'ack:reached',
        'loader:reached',
        'config:reached',
        'kernel:reached',
        'initrd:reached',
        'answer:reached',
        'callback:reached',
      ]);
    await expect
      .poll(() => page.locator('#timeline tr').allTextContents())
      .toEqual(
        expect.arrayContaining([
          expect.stringMatching(/http · HTTP GET.*images\/debian-12-amd64\/linux: 200, 293\.0 KiB/),
          expect.stringContaining('installer · answer-file served'),
          expect.stringContaining('installer · install done'),
        ]),
      );
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    // The boot signalling as a pcap, from the page's link: both boots' DHCP exchanges and TFTP transfers.
    await server.capture.flush();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('text=Download the boot signalling as a pcap'),
    ]);
    expect(download.suggestedFilename()).toBe('node-live-boot.pcap');
    const pcap = readFileSync(await download.path());
    expect(pcap.subarray(0, 4).toString('hex')).toBe('a1b2c3d4');
    const ports = pcapPorts(pcap);
    // Two DORAs through the intake (client 68 ↔ server 67), and both TFTP transfers (to port 69 and back).
    expect(ports.filter(([from, to]) => from === 67 || to === 67)).toHaveLength(8);
    expect(ports.filter(([, to]) => to === Number(server.tftpAddress?.split(':')[1]))).toHaveLength(2);
    await page.screenshot({ path: path.join(ARTIFACTS, 'machine.png'), fullPage: true });
    // The README's picture (docs/dashboard.png is this one, copied when the pages change).
    await page.reload();
    await page.screenshot({ path: path.join(ARTIFACTS, 'machine-viewport.png') });
  });

  it('a viewer sees no action and is refused one', async () => {
    const viewer = await signIn('viewer');
    await viewer.page.goto(`${base}/ui/machines/${live.id}`);
    expect(await viewer.page.locator('#actions').count()).toBe(0);
    expect(await viewer.page.locator('text=Mark for reinstall').count()).toBe(0);
    const refused = await viewer.page.goto(`${base}/ui/machines/${live.id}/confirm?action=reinstall`);
    expect(refused?.status()).toBe(403);
    expect(await viewer.page.locator('.notice').textContent()).toContain('needs the operator role');
    expect(await violations(viewer.page)).toEqual([]);
    await viewer.context.close();
  });

  it('no page broke its Content-Security-Policy (and a violation would have been seen)', async () => {
    const { page } = operator;
    expect(await violations(page)).toEqual([]);
    expect(problems).toEqual([]);
    // The detector works: an inline image from a data: URL is what img-src 'self' refuses.
    await page.evaluate(
      'document.body.insertAdjacentHTML(\'beforeend\', \'<img alt="" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">\')',
    );
    await expect.poll(() => violations(page)).toEqual([expect.stringMatching(/^img-src data/)]);
    await operator.context.close();
  });
});
