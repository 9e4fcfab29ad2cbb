import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bytes,
  get,
  releaseFile,
  sha256,
  startCache,
  startUpstream,
  type RunningCache,
  type TestUpstream,
} from './support.js';

// Issue 7: installer images are verified against their directory's SHA256SUMS, itself listed in the Release,
// before they are kept. The cache fetches those listings itself: a tool downloading netboot.tar.gz reads neither.
const DISTS = '/debian/dists/t';
const IMAGES = 'main/installer-amd64/current/images';
const NETBOOT = `${DISTS}/${IMAGES}/netboot/netboot.tar.gz`;
const LINUX = `${DISTS}/${IMAGES}/netboot/debian-installer/amd64/linux`;

let upstream: TestUpstream;
let root: string;
let cache: RunningCache | undefined;
const netboot = bytes(300_000, 40);
const linux = bytes(90_000, 41);
const sums = Buffer.from(
  `${sha256(netboot)}  ./netboot/netboot.tar.gz\n${sha256(linux)}  ./netboot/debian-installer/amd64/linux\n`,
);

beforeEach(async () => {
  upstream = await startUpstream();
  root = mkdtempSync(path.join(tmpdir(), 'fleetboot-cache-images-'));
  upstream.files.set(`${DISTS}/${IMAGES}/SHA256SUMS`, { body: sums });
  upstream.files.set(NETBOOT, { body: netboot });
  upstream.files.set(LINUX, { body: linux });
});

afterEach(async () => {
  await cache?.stop();
  cache = undefined;
  await upstream.close();
});

const start = async (release: Record<string, Buffer>): Promise<RunningCache> => {
  // No InRelease: the cache falls back to Release, as d-i's net-retriever reads it.
  upstream.files.set(`${DISTS}/Release`, { body: Buffer.from(releaseFile(release)) });
  return (cache = await startCache({ upstream, root, now: () => Date.parse('2026-11-27T09:00:00Z') }));
};
const kept = (file: string): boolean => existsSync(path.join(root, 'data', file.replace(/^\//, '')));

describe('installer images', () => {
  it('are kept once SHA256SUMS (listed in the Release) names them; the listings are fetched once', async () => {
    const { address } = await start({ [`${IMAGES}/SHA256SUMS`]: sums });
    for (let i = 0; i < 2; i += 1) {
      expect((await get(address, NETBOOT)).body.equals(netboot)).toBe(true);
      expect((await get(address, LINUX)).body.equals(linux)).toBe(true);
    }
    expect((await get(address, NETBOOT)).headers['x-cache']).toBe('HIT');
    expect(kept(NETBOOT) && kept(LINUX)).toBe(true);
    for (const file of [
      `${DISTS}/InRelease`,
      `${DISTS}/Release`,
      `${DISTS}/${IMAGES}/SHA256SUMS`,
      NETBOOT,
      LINUX,
    ])
      expect(upstream.count(file), file).toBe(1);
  });

  it('fetches the listings two images share once when both are asked at once on a cold cache', async () => {
    // Both plans wait on the same InRelease (a 404 here), then resume together: the second must join the first
    // one's Release and SHA256SUMS transfers, not start its own.
    const { address } = await start({ [`${IMAGES}/SHA256SUMS`]: sums });
    const [a, b] = await Promise.all([get(address, NETBOOT), get(address, LINUX)]);
    expect(a.body.equals(netboot) && b.body.equals(linux)).toBe(true);
    for (const file of [`${DISTS}/InRelease`, `${DISTS}/Release`, `${DISTS}/${IMAGES}/SHA256SUMS`])
      expect(upstream.count(file), file).toBe(1);
    expect(kept(NETBOOT) && kept(LINUX)).toBe(true);
  });

  it('refuses an image that differs from SHA256SUMS, and keeps it not', async () => {
    const { address, counter, logs } = await start({ [`${IMAGES}/SHA256SUMS`]: sums });
    const tampered = Buffer.from(netboot);
    tampered.writeUInt8(tampered.readUInt8(1000) ^ 1, 1000);
    upstream.files.set(NETBOOT, { body: tampered });
    const r = await get(address, NETBOOT);
    expect(r.cut || r.status === 502).toBe(true);
    expect(r.body.equals(tampered)).toBe(false);
    expect(kept(NETBOOT)).toBe(false);
    expect(await counter('fleetboot_cache_rejected_downloads_total', { reason: 'sha256' })).toBe(1);
    expect(logs().filter((l) => l.reason === 'sha256')).toMatchObject([
      { repository: 'debian', path: `dists/t/${IMAGES}/netboot/netboot.tar.gz` },
    ]);
  });

  it('passes an image through unkept when its SHA256SUMS differs from the Release, or the Release lists none', async () => {
    const other = Buffer.from(`${sha256(linux)}  ./netboot/netboot.tar.gz\n`);
    const { address, counter } = await start({ [`${IMAGES}/SHA256SUMS`]: other });
    const sumsAnswer = await get(address, `${DISTS}/${IMAGES}/SHA256SUMS`);
    expect(sumsAnswer.cut || sumsAnswer.status === 502).toBe(true);
    expect(await counter('fleetboot_cache_rejected_downloads_total', { reason: 'size' })).toBe(1);
    for (let i = 1; i <= 2; i += 1) {
      expect((await get(address, NETBOOT)).body.equals(netboot)).toBe(true);
      expect(upstream.count(NETBOOT)).toBe(i);
    }
    expect(kept(NETBOOT)).toBe(false);
    await cache?.stop();

    const { address: second } = await start({ 'main/binary-amd64/Packages': Buffer.from('') });
    for (let i = 3; i <= 4; i += 1) {
      expect((await get(second, NETBOOT)).body.equals(netboot)).toBe(true);
      expect(upstream.count(NETBOOT)).toBe(i);
    }
    expect(kept(NETBOOT)).toBe(false);
  });
});
