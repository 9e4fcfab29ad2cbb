// Issue 5 end to end on loopback, through the running server (main.ts): a real SQLite store, the real catalog,
// templates and lifecycle, real HTTP from chosen loopback source addresses (127.0.0.2 is the machine, 127.0.0.3
// another host on its segment). No network namespace and no VM: the QEMU lab runs the same flow with firmware.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Catalog } from '../../src/catalog/catalog.js';
import { clientIdFromMac } from '../../src/inventory/lease.js';
import type { Machine } from '../../src/inventory/machine.js';
import type { FleetbootConfig } from '../../src/config/schema.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { systemClock } from '../../src/net/clock.js';
import { VIRTUAL_NOT_FOUND } from '../../src/net/tftp-files.js';
import { createProvisioning, tftpBootConfigs } from '../../src/provisioning.js';
import { loadOrCreateSecret } from '../../src/provision/install-token.js';
import { Lifecycle } from '../../src/provision/lifecycle.js';
import { parseIpv4, parseIpv4Subnet } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';
import { writeTree } from '../catalog/support.js';
import { loadConfigText } from '../support/config-text.js';
import { memoryLogger } from '../support/logger.js';

const MAC = parseMac('52:54:00:12:34:56');
const MACHINE_ADDRESS = '127.0.0.2';
const OTHER_ADDRESS = '127.0.0.3';
const HASH =
  '$6$saltsalt$JcVDtuB6d1BHhCd5RPBh8g8xX/1CbY8EU2PN0MTaj2/Mypw4P./C6dN4j0HALhzBDTocyW1Jm.gYaTPjFGCV40'; // openssl passwd -6 -salt saltsalt test

let dir: string;
let server: RunningServer;
let lifecycle: Lifecycle;
let base: string;
let machineId: Machine['id'];
let logLines: () => Record<string, unknown>[];
let serverConfig: FleetbootConfig;
const port = () => server.httpAddress.split(':')[1];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request from a chosen loopback source address (the kernel accepts all of 127/8 as local). */
function http(
  method: string,
  url: string,
  from: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${url}`,
      { method, localAddress: from, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const script = (from: string, query = '?buildarch=x86_64&platform=pcbios') =>
  http('GET', `/boot/ipxe/52-54-00-12-34-56${query}`, from);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-install-flow-'));
  const dataDir = path.join(dir, 'data');
  const { config } = loadConfigText(`
dataDir: ${dataDir}
http: {listen: '127.0.0.1:0'}
tftp: {listen: '127.0.0.1:0'}
profiles:
  - name: debian12
    os: debian-12-amd64
    template: debian-preseed
    kernelArgs: console=ttyS0,115200n8
    variables: {disk: /dev/vda, username: ops, userPasswordHash: '${HASH}', domain: lab.example}
machines:
  - macs: ['${MAC}']
    hostname: node01
    profile: debian12
`);
  // The image is imported before serve starts, as `fleetboot os import` would.
  const { logger, lines } = memoryLogger();
  logLines = lines;
  const tree = writeTree(path.join(dir, 'tree'), {
    'version.info': 'Debian version:  12 (bookworm)\nInstaller build: 20230607+deb12u15\n',
    'debian-installer/amd64/linux': 'K'.repeat(4096),
    'debian-installer/amd64/initrd.gz': 'initrd bytes',
  });
  await new Catalog({ bootRoot: path.join(dataDir, 'boot'), logger, now: Date.now }).import({ source: tree });
  server = await startServer({ config, logger });
  serverConfig = config;
  base = `http://${server.httpAddress}`;
  // The CLI's side: its own Lifecycle over the same store and secret file.
  lifecycle = new Lifecycle({
    store: server.store,
    secret: await loadOrCreateSecret(dataDir),
    now: Date.now,
    markTtlMs: config.install.markTtlMs,
    profiles: config.profiles,
    rules: config.rules,
  });
  // The machine's DHCP lease, as the full-mode server commits it: its boot address is 127.0.0.2.
  await server.store.leases.commit({
    address: parseIpv4(MACHINE_ADDRESS),
    subnet: parseIpv4Subnet('127.0.0.0/8'),
    clientId: clientIdFromMac(MAC),
    mac: MAC,
    state: 'bound',
    expiresAt: Date.now() + 3600_000,
    serverId: parseIpv4('127.0.0.1'),
    hostname: null,
    relayAgentInfo: null,
  });
  const declared = await server.store.inventory.getByMac(MAC);
  if (declared === undefined) throw new Error('the declared machine was not enrolled at start');
  machineId = declared.id;
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const state = async () => (await server.store.inventory.get(machineId))?.state;
const audits = async (action: string) =>
  (await server.store.audit.list({ action })).filter((a) => a.outcome === 'denied');

describe('install once, end to end over HTTP', () => {
  let token: string;

  it('the first iPXE script chains to the machine’s own, by MAC, architecture and platform', async () => {
    const res = await http('GET', '/boot.ipxe', MACHINE_ADDRESS);
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^#!ipxe\n/);
    expect(res.body).toContain(
      'chain --replace --autofree /boot/ipxe/${netX/mac:hexhyp}?buildarch=${buildarch}',
    );
  });

  it('a declared machine that is not marked boots its disk', async () => {
    expect(await state()).toBe('ready');
    const res = await script(MACHINE_ADDRESS);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('sanboot --no-describe --drive 0x80 || exit');
    expect(res.body).not.toMatch(/kernel|answers/);
  });

  it('marked: its script loads the installer with the preseed URL, from its own address only', async () => {
    ({ token } = await lifecycle.markInstall(machineId, { actor: 'alice' }));
    expect(await state()).toBe('queued');
    const other = await script(OTHER_ADDRESS);
    expect(other.status).toBe(404);
    expect(other.body).not.toContain(token);
    expect((await audits('boot-script.fetch')).map((a) => a.remoteAddress)).toContain(OTHER_ADDRESS);

    const res = await script(MACHINE_ADDRESS);
    expect(res.status).toBe(200);
    const lines = res.body.split('\n');
    expect(lines).toContain(
      `kernel ${base}/boot/images/debian-12-amd64/linux initrd=initrd0 auto=true ` +
        `priority=critical url=${base}/answers/${token}/preseed.cfg interface=auto hostname=node01 ` +
        'domain=lab.example console=ttyS0,115200n8',
    );
    expect(lines).toContain(`initrd --name initrd0 ${base}/boot/images/debian-12-amd64/initrd.gz`);
    expect(lines).toContain('boot');
  });

  it('TFTP: pxelinux and GRUB configs from the same decision, with the token only to the machine’s address', async () => {
    const provisioning = await createProvisioning({
      config: serverConfig,
      store: server.store,
      clock: systemClock,
      logger: memoryLogger().logger,
      dhcpMode: 'off',
    });
    const files = tftpBootConfigs(provisioning, {
      config: serverConfig,
      logger: memoryLogger().logger,
      httpPort: () => Number(port()),
    });
    if (files === undefined) throw new Error('profiles are configured: TFTP must generate configs');
    const ask = async (name: string, address: string) => {
      const answer = await files(name, { address, port: 2070 });
      return answer instanceof Uint8Array ? Buffer.from(answer).toString() : answer;
    };
    const pxelinux = await ask('pxelinux.cfg/01-52-54-00-12-34-56', MACHINE_ADDRESS);
    expect(pxelinux).toContain('  KERNEL ::images/debian-12-amd64/linux\n');
    expect(pxelinux).toContain(`url=http://127.0.0.1:${port()}/answers/${token}/preseed.cfg`);
    expect(await ask('images/debian-12-amd64/grub/grub.cfg', MACHINE_ADDRESS)).toContain(
      `/answers/${token}/`,
    );
    // Another host asks for the machine's name, or for its own default: never the token.
    expect(await ask('pxelinux.cfg/01-52-54-00-12-34-56', OTHER_ADDRESS)).toBe(VIRTUAL_NOT_FOUND);
    expect(await ask('pxelinux.cfg/default', OTHER_ADDRESS)).toContain('LOCALBOOT 0');
  });

  it('the kernel the script names is served, whole, by range and by HEAD', async () => {
    const url = '/boot/images/debian-12-amd64/linux';
    const whole = await http('GET', url, MACHINE_ADDRESS);
    expect([whole.status, whole.headers['content-length'], whole.body.length]).toEqual([200, '4096', 4096]);
    const part = await http('GET', url, MACHINE_ADDRESS, { headers: { range: 'bytes=4000-' } });
    expect([part.status, part.headers['content-range'], part.body.length]).toEqual([
      206,
      'bytes 4000-4095/4096',
      96,
    ]);
    const head = await http('HEAD', url, MACHINE_ADDRESS);
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '4096', '']);
    const escape = await http('GET', '/boot/..%2f..%2finstall-token.key', MACHINE_ADDRESS);
    expect(escape.status).toBe(404);
    // Each GET from the machine's address is on its timeline (HEAD is not); another host's are on none.
    await http('GET', url, OTHER_ADDRESS);
    await vi.waitFor(async () => {
      const fetches = (await server.store.events.list({ machineId, limit: 1000 })).filter(
        (e) => e.kind === 'HTTP GET',
      );
      expect(fetches.map((e) => e.details)).toEqual([
        expect.objectContaining({
          file: 'images/debian-12-amd64/linux',
          status: 200,
          bytes: 4096,
          complete: true,
        }),
        expect.objectContaining({
          file: 'images/debian-12-amd64/linux',
          status: 206,
          bytes: 96,
          range: 'bytes=4000-',
        }),
        expect.objectContaining({ status: 404, client: MACHINE_ADDRESS }),
      ]);
    });
  });

  it('the answer file goes only to the machine’s address (S04); fetching it does not consume the mark (F12)', async () => {
    const other = await http('GET', `/answers/${token}/preseed.cfg`, OTHER_ADDRESS);
    expect(other.status).toBe(404);
    expect((await audits('answer-file.fetch')).map((a) => a.remoteAddress)).toContain(OTHER_ADDRESS);
    expect(await state()).toBe('queued');

    for (let i = 0; i < 2; i++) {
      const res = await http('GET', `/answers/${token}/preseed.cfg`, MACHINE_ADDRESS);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toContain('d-i partman-auto/disk string /dev/vda');
      expect(res.body).toContain(`${base}/answers/${token}/done`);
      expect(await state()).toBe('installing');
    }
    expect((await http('GET', `/answers/${token}/user-data`, MACHINE_ADDRESS)).status).toBe(404);
    expect((await http('GET', '/answers/not-a-token/preseed.cfg', MACHINE_ADDRESS)).status).toBe(404);
  });

  it('the done callback (busybox wget --post-data) consumes the mark, once; then local boot and no answer file', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect(
      (await http('POST', `/answers/${token}/done`, OTHER_ADDRESS, { headers: form, body: 'x=1' })).status,
    ).toBe(404);
    expect(await state()).toBe('installing');
    const done = await http('POST', `/answers/${token}/done`, MACHINE_ADDRESS, {
      headers: form,
      body: 'ok=1',
    });
    expect(done.status).toBe(200);
    expect(await state()).toBe('installed');

    expect((await http('POST', `/answers/${token}/done`, MACHINE_ADDRESS, { headers: form })).status).toBe(
      404,
    );
    expect((await http('GET', `/answers/${token}/preseed.cfg`, MACHINE_ADDRESS)).status).toBe(404);
    const res = await script(MACHINE_ADDRESS);
    expect(res.status).toBe(200);
    expect(res.body).toContain('sanboot --no-describe --drive 0x80 || exit');
    expect(res.body).not.toContain(token);
  });

  it('a callback body over the cap is refused (H10)', async () => {
    const res = await http('POST', `/answers/${'A'.repeat(43)}/progress`, MACHINE_ADDRESS, {
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(100 * 1024),
    });
    expect(res.status).toBe(413);
  });

  it('an unknown MAC gets local boot on EFI', async () => {
    const res = await http('GET', '/boot/ipxe/52-54-00-99-99-99?platform=efi', OTHER_ADDRESS);
    expect(res.status).toBe(200);
    expect(res.body.split('\n').slice(3)).toEqual(['exit', '']);
  });

  it('tokens appear in no metric label and no log line, whatever the request', async () => {
    // An unrouted path, an oversized body and a method without a route: fastify's own answers, not the routes'.
    expect((await http('GET', `/answers/${token}`, MACHINE_ADDRESS)).status).toBe(404);
    expect((await http('PUT', `/answers/${token}/done`, MACHINE_ADDRESS)).status).toBe(404);
    const big = { headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(100 * 1024) };
    expect((await http('POST', `/answers/${token}/progress`, MACHINE_ADDRESS, big)).status).toBe(413);
    expect(JSON.stringify(logLines())).not.toContain(token);
    const metrics = await http('GET', '/metrics', MACHINE_ADDRESS);
    expect(metrics.body).toContain('route="/answers/:token/:file"');
    expect(metrics.body).not.toContain(token);
  });
});
