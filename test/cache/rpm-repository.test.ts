import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bytes,
  get,
  primaryXml,
  repomdXml,
  sha256,
  startCache,
  startUpstream,
  type RunningCache,
  type TestUpstream,
} from './support.js';

// Issue 7 for dnf/yum: repomd.xml is an index (revalidated, byte-identical), the metadata it lists is kept only
// when it matches repomd.xml's SHA-256 and size, and an .rpm only when it matches the primary metadata.
const BASE = '/fedora/os';
const REPOMD = `${BASE}/repodata/repomd.xml`;
const RPM = 'Packages/h/hello-1-1.noarch.rpm';

let upstream: TestUpstream;
let root: string;
let cache: RunningCache | undefined;
const rpm = bytes(40_000, 50);

beforeEach(async () => {
  upstream = await startUpstream();
  root = mkdtempSync(path.join(tmpdir(), 'fleetboot-cache-rpm-'));
  upstream.files.set(`${BASE}/${RPM}`, { body: rpm });
});

afterEach(async () => {
  await cache?.stop();
  cache = undefined;
  await upstream.close();
});

const start = async (): Promise<RunningCache> =>
  (cache = await startCache({
    upstream,
    root,
    now: () => Date.parse('2026-11-27T09:00:00Z'),
    repositories: [{ name: 'fedora', upstream: `${upstream.url}/fedora` }],
  }));
const kept = (file: string): boolean => existsSync(path.join(root, 'data', file.replace(/^\//, '')));

/** Publishes primary metadata (compressed with `compress`) naming `files`, and the repomd.xml listing it. */
function publish(
  files: Record<string, Buffer>,
  compress: { ext: string; run: (text: string) => Buffer } = { ext: 'gz', run: (t) => gzipSync(t) },
  listed?: Buffer,
): string {
  const primary = compress.run(primaryXml(files));
  const href = `repodata/${sha256(primary)}-primary.xml.${compress.ext}`;
  upstream.files.set(`${BASE}/${href}`, { body: primary });
  upstream.files.set(REPOMD, { body: Buffer.from(repomdXml({ primary: [href, listed ?? primary] })) });
  return `${BASE}/${href}`;
}

async function twice(address: string): Promise<{ hit: boolean; fetched: number }> {
  for (let i = 0; i < 2; i += 1) expect((await get(address, `${BASE}/${RPM}`)).body.equals(rpm)).toBe(true);
  const again = await get(address, `${BASE}/${RPM}`);
  return { hit: again.headers['x-cache'] === 'HIT', fetched: upstream.count(`${BASE}/${RPM}`) };
}

describe('rpm repositories', () => {
  it.each([
    ['gz', (t: string) => gzipSync(t)],
    ['xz', (t: string) => execFileSync('xz', ['-c'], { input: t })],
    ['zst', (t: string) => execFileSync('zstd', ['-q', '-c'], { input: t })],
  ])('keeps an rpm the %s primary metadata names, after repomd.xml vouched for it', async (ext, run) => {
    const primary = publish({ [RPM]: rpm }, { ext, run });
    const { address } = await start();
    expect((await get(address, REPOMD)).status).toBe(200);
    expect((await get(address, primary)).status).toBe(200);
    expect(kept(primary)).toBe(true);
    expect(await twice(address)).toEqual({ hit: true, fetched: 1 });
  });

  it('refuses an rpm whose SHA-256 differs from the primary metadata, keeps it not, and keeps the good one', async () => {
    const primary = publish({ [RPM]: rpm });
    const bad = Buffer.from(rpm);
    bad.writeUInt8(bad.readUInt8(20_000) ^ 0x80, 20_000);
    upstream.files.set(`${BASE}/${RPM}`, { body: bad });
    const { address, counter, logs } = await start();
    await get(address, REPOMD);
    await get(address, primary);
    const refused = await get(address, `${BASE}/${RPM}`);
    expect(refused.cut || refused.status === 502).toBe(true);
    expect(refused.body.equals(bad)).toBe(false);
    expect(kept(`${BASE}/${RPM}`)).toBe(false);
    expect(await counter('fleetboot_cache_rejected_downloads_total', { reason: 'sha256' })).toBe(1);
    expect(logs().filter((l) => l.reason === 'sha256')).toMatchObject([
      { repository: 'fedora', path: `os/${RPM}` },
    ]);

    upstream.files.set(`${BASE}/${RPM}`, { body: rpm });
    expect(await twice(address)).toEqual({ hit: true, fetched: 2 });
  });

  it('refuses primary metadata that differs from repomd.xml; the rpms it names pass through unkept', async () => {
    const primary = publish({ [RPM]: rpm }, undefined, gzipSync('<metadata/>'));
    const { address, counter } = await start();
    await get(address, REPOMD);
    const r = await get(address, primary);
    expect(r.status).toBe(502);
    expect(r.body.toString()).toContain('repodata/repomd.xml says');
    expect(await counter('fleetboot_cache_rejected_downloads_total', { reason: 'size' })).toBe(1);
    expect(kept(primary)).toBe(false);
    expect(await twice(address)).toEqual({ hit: false, fetched: 3 });
  });

  it('fetches repomd.xml itself for metadata asked first, and passes unlisted metadata through unkept', async () => {
    const primary = publish({ [RPM]: rpm });
    upstream.files.set(`${BASE}/repodata/${'e'.repeat(64)}-other.xml.gz`, { body: gzipSync('<otherdata/>') });
    const { address } = await start();
    expect((await get(address, primary)).status).toBe(200);
    expect(kept(primary)).toBe(true);
    expect(upstream.count(REPOMD)).toBe(1);
    await get(address, `${BASE}/repodata/${'e'.repeat(64)}-other.xml.gz`);
    expect(kept(`${BASE}/repodata/${'e'.repeat(64)}-other.xml.gz`)).toBe(false);
    expect(await twice(address)).toEqual({ hit: true, fetched: 1 });
  });

  it('does not read primary metadata with a DOCTYPE, even listed: its rpms pass through, and it says so once', async () => {
    const laughs = gzipSync(
      `<?xml version="1.0"?><!DOCTYPE metadata [<!ENTITY a "aaaaaaaa">]>${primaryXml({ [RPM]: rpm }).replace(/^<\?xml[^>]*>/, '')}`,
    );
    const href = `repodata/${sha256(laughs)}-primary.xml.gz`;
    upstream.files.set(`${BASE}/${href}`, { body: laughs });
    upstream.files.set(REPOMD, { body: Buffer.from(repomdXml({ primary: [href, laughs] })) });
    const { address, logs } = await start();
    await get(address, REPOMD);
    expect((await get(address, `${BASE}/${href}`)).body.equals(laughs)).toBe(true);
    expect(await twice(address)).toEqual({ hit: false, fetched: 3 });
    expect(logs().filter((l) => l.path === `os/${href}` && l.level === 40)).toHaveLength(1);
  });
});
