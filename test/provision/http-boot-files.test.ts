// GET/HEAD /boot/<path> (issue 5 item 6): the TFTP roots over HTTP, with lengths, ranges, types and confinement.
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApp, type HttpApp } from '../../src/net/http-app.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { contentTypeOf, registerBootFiles } from '../../src/provision/http-boot-files.js';
import { memoryLogger } from '../support/logger.js';

let dir: string;
let app: HttpApp;
const KERNEL = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-http-boot-'));
  const first = path.join(dir, 'tftp');
  const boot = path.join(dir, 'boot');
  mkdirSync(path.join(boot, 'images/debian-12-amd64'), { recursive: true });
  mkdirSync(first);
  writeFileSync(path.join(boot, 'images/debian-12-amd64/linux'), KERNEL);
  writeFileSync(path.join(boot, 'snponly.efi'), 'MZ efi');
  writeFileSync(path.join(boot, 'empty'), '');
  writeFileSync(path.join(first, 'snponly.efi'), 'MZ from the first root'); // the first root wins, as over TFTP
  writeFileSync(path.join(dir, 'secret'), 'outside every root');
  symlinkSync(path.join(dir, 'secret'), path.join(boot, 'escape'));
  writeFileSync(path.join(boot, 'private'), 'x');
  chmodSync(path.join(boot, 'private'), 0o600);
  writeFileSync(path.join(boot, 'linked'), 'x');
  linkSync(path.join(boot, 'linked'), path.join(dir, 'second-link'));
  execFileSync('mkfifo', [path.join(boot, 'fifo')]);
  app = buildHttpApp({
    logger: memoryLogger().logger,
    metrics: createMetrics({ processMetrics: false }),
    health: () => ({ status: 'ok', components: {} }),
    version: 'test',
  });
  registerBootFiles(app, { roots: [first, boot], logger: memoryLogger().logger });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('/boot/<path>', () => {
  it('GET: the whole file with Content-Length, Accept-Ranges and its type', async () => {
    const res = await app.inject({ method: 'GET', url: '/boot/images/debian-12-amd64/linux' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe('1000');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.rawPayload.equals(KERNEL)).toBe(true);
  });

  it('HEAD: the same headers, no body (EDK2 HTTP boot asks HEAD first)', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/boot/images/debian-12-amd64/linux' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe('1000');
    expect(res.rawPayload.length).toBe(0);
  });

  it('searches the roots in TFTP order; .efi is application/efi', async () => {
    const res = await app.inject({ method: 'GET', url: '/boot/snponly.efi' });
    expect(res.headers['content-type']).toBe('application/efi');
    expect(res.body).toBe('MZ from the first root');
  });

  it.each([
    ['bytes=0-9', 206, 'bytes 0-9/1000', [0, 10]],
    ['bytes=990-', 206, 'bytes 990-999/1000', [990, 1000]],
    ['bytes=-5', 206, 'bytes 995-999/1000', [995, 1000]],
    ['bytes=500-5000', 206, 'bytes 500-999/1000', [500, 1000]],
    ['bytes=0-999', 200, undefined, [0, 1000]],
    ['bytes=0-1,5-6', 200, undefined, [0, 1000]], // several ranges: the whole file
  ] as const)('Range %s → %d %s', async (range, status, contentRange, [from, to]) => {
    const res = await app.inject({
      method: 'GET',
      url: '/boot/images/debian-12-amd64/linux',
      headers: { range },
    });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-range']).toBe(contentRange);
    expect(res.headers['content-length']).toBe(String(to - from));
    expect(res.rawPayload.equals(KERNEL.subarray(from, to))).toBe(true);
  });

  it('a range past the end is 416 with the length', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/boot/images/debian-12-amd64/linux',
      headers: { range: 'bytes=1000-' },
    });
    expect(res.statusCode).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */1000');
  });

  it('If-Range that names another version: the whole file', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/boot/images/debian-12-amd64/linux',
      headers: { range: 'bytes=0-9', 'if-range': 'Thu, 01 Jan 1970 00:00:00 GMT' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.length).toBe(1000);
  });

  it('an empty file is 200 with length 0', async () => {
    const res = await app.inject({ method: 'GET', url: '/boot/empty' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe('0');
  });

  it.each([
    ['a parent segment', '/boot/../secret'],
    ['an encoded parent segment', '/boot/%2e%2e/secret'],
    ['an encoded slash and parent', '/boot/images%2f..%2f..%2fsecret'],
    ['a backslash parent', '/boot/..%5csecret'],
    ['a NUL', '/boot/snponly.efi%00.txt'],
    ['a symlink out of the root', '/boot/escape'],
    ['a file others may not read', '/boot/private'],
    ['a hard link', '/boot/linked'],
    ['a FIFO', '/boot/fifo'],
    ['a directory', '/boot/images'],
    ['nothing', '/boot/'],
    ['a missing file', '/boot/nope'],
  ])('refuses %s with 404', async (_name, url) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('outside every root');
  });
});

describe('contentTypeOf', () => {
  it.each([
    ['grubx64.efi', 'application/efi'],
    ['BOOTX64.EFI', 'application/efi'],
    ['ubuntu.iso', 'application/vnd.efi-iso'],
    ['grub/grub.cfg', 'text/plain; charset=utf-8'],
    ['pxelinux.cfg/default', 'text/plain; charset=utf-8'],
    ['images/rocky/images/pxeboot/initrd.img', 'application/octet-stream'],
    ['pxelinux.0', 'application/octet-stream'],
  ])('%s → %s', (name, type) => {
    expect(contentTypeOf(name)).toBe(type);
  });
});

// Review finding 6: a RHEL-like tree imported as a directory is served from where it is, under its image's path,
// confined like the roots.
describe('/boot/ over an external source', () => {
  let base: string;
  let external: HttpApp;
  beforeAll(async () => {
    base = mkdtempSync(path.join(tmpdir(), 'fleetboot-http-external-'));
    const boot = path.join(base, 'boot');
    const tree = path.join(base, 'mnt/rocky');
    mkdirSync(path.join(tree, 'BaseOS/repodata'), { recursive: true });
    mkdirSync(path.join(boot, 'images/rocky/tree'), { recursive: true });
    mkdirSync(path.join(boot, 'images/rocky/tree-other'), { recursive: true });
    writeFileSync(path.join(tree, 'BaseOS/repodata/repomd.xml'), '<repomd/>');
    writeFileSync(path.join(base, 'secret'), 'outside every root');
    symlinkSync('../../secret', path.join(tree, 'escape'));
    writeFileSync(path.join(tree, 'linked'), 'x');
    linkSync(path.join(tree, 'linked'), path.join(base, 'second-link'));
    writeFileSync(path.join(boot, 'images/rocky/tree/shadowed'), 'in the boot root'); // the image owns the path
    writeFileSync(path.join(boot, 'images/rocky/tree-other/file'), 'a sibling, not the tree');
    external = buildHttpApp({
      logger: memoryLogger().logger,
      metrics: createMetrics({ processMetrics: false }),
      health: () => ({ status: 'ok', components: {} }),
      version: 'test',
    });
    registerBootFiles(external, {
      roots: [boot],
      externalSources: () => Promise.resolve([{ path: 'images/rocky/tree', directory: tree }]),
      logger: memoryLogger().logger,
    });
    await external.ready();
  });
  afterAll(async () => {
    await external.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('serves the tree under the image path', async () => {
    const res = await external.inject({
      method: 'GET',
      url: '/boot/images/rocky/tree/BaseOS/repodata/repomd.xml',
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('<repomd/>');
  });

  it('matches whole segments: a sibling directory is the boot root as usual', async () => {
    const res = await external.inject({ method: 'GET', url: '/boot/images/rocky/tree-other/file' });
    expect(res.body).toBe('a sibling, not the tree');
  });

  it.each([
    ['a symlink out of the tree', '/boot/images/rocky/tree/escape'],
    ['a hard link', '/boot/images/rocky/tree/linked'],
    ['a parent segment out of the tree', '/boot/images/rocky/tree/../../../secret'],
    ['the tree itself', '/boot/images/rocky/tree'],
    ['a file only the boot root has under the same path', '/boot/images/rocky/tree/shadowed'],
  ])('refuses %s with 404', async (_name, url) => {
    const res = await external.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('outside every root');
  });
});
