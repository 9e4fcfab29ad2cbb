import { mkdtempSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseIpv4Subnet, type Ipv4Subnet } from '../../src/values/ipv4.js';
import {
  bytes,
  get,
  packagesIndex,
  releaseFile,
  sha256,
  startCache as startCacheOn,
  startUpstream,
  type TestUpstream,
} from './support.js';

const RELEASE = '/debian/dists/t/Release';
const PACKAGES = '/debian/dists/t/main/binary-amd64/Packages';
const DEB = 'pool/main/h/hello/hello_1_amd64.deb';

let upstream: TestUpstream;
let root: string;
let now: number;
let running: { stop(): Promise<void> }[] = [];

beforeEach(async () => {
  upstream = await startUpstream();
  root = mkdtempSync(path.join(tmpdir(), 'fleetboot-cache-'));
  now = Date.parse('2026-11-27T09:00:00Z');
});

afterEach(async () => {
  for (const r of running.reverse()) await r.stop();
  running = [];
  await upstream.close();
});

async function startCache(options: { quotaBytes?: number; allow?: Ipv4Subnet[] } = {}) {
  const cache = await startCacheOn({ upstream, root, now: () => now, ...options });
  running.push(cache);
  return { ...cache, listener: cache };
}

/**
 * Publishes a Packages index naming `debs` (path under the repository → body), the Release that lists it, and
 * the debs themselves.
 */
function publish(debs: Record<string, Buffer>, index = packagesIndex(debs)): void {
  upstream.files.set(PACKAGES, { body: Buffer.from(index) });
  upstream.files.set(RELEASE, {
    body: Buffer.from(releaseFile({ 'main/binary-amd64/Packages': Buffer.from(index) })),
  });
  for (const [name, body] of Object.entries(debs)) upstream.files.set(`/debian/${name}`, { body });
}

/** As apt does: the Release first, then the index it lists. */
async function fetchIndexes(address: string): Promise<void> {
  expect((await get(address, RELEASE)).status).toBe(200);
  expect((await get(address, PACKAGES)).status).toBe(200);
}

const indexBytes = (): number =>
  upstream.files.get(PACKAGES)!.body.length + upstream.files.get(RELEASE)!.body.length;

describe('package cache over loopback', () => {
  it('fetches a package once and serves it from disk after, in proxy and mirror form', async () => {
    const deb = bytes(200_000, 1);
    publish({ [DEB]: deb });
    const { address, counter } = await startCache();

    await fetchIndexes(address);
    const first = await get(address, `${upstream.url}/debian/${DEB}`);
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(sha256(first.body)).toBe(sha256(deb));
    const second = await get(address, `/debian/${DEB}`);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body.equals(deb)).toBe(true);
    expect(upstream.count(`/debian/${DEB}`)).toBe(1);
    expect(await counter('fleetboot_cache_requests_total', { outcome: 'hit' })).toBe(1);
    expect(await counter('fleetboot_cache_upstream_bytes_total')).toBe(deb.length + indexBytes());
    expect(await counter('fleetboot_cache_served_bytes_total')).toBe(2 * deb.length + indexBytes());
  });

  it('coalesces 20 concurrent requests into one upstream fetch, each client streaming the whole file', async () => {
    const deb = bytes(1024 * 1024, 2);
    publish({ [DEB]: deb });
    upstream.files.get(`/debian/${DEB}`)!.chunkDelayMs = 5;
    const { address, counter, savings } = await startCache();
    await fetchIndexes(address);

    const results = await Promise.all(Array.from({ length: 20 }, () => get(address, `/debian/${DEB}`)));
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.cut).toBe(false);
      expect(r.body.equals(deb)).toBe(true);
    }
    expect(upstream.count(`/debian/${DEB}`)).toBe(1);
    expect(await counter('fleetboot_cache_requests_total', { outcome: 'coalesced' })).toBe(19);
    // The saving as status and the dashboard show it: Release, index and package each crossed once, 22 served.
    expect(savings()).toMatchObject({ upstreamCopies: 3, served: 22 });
    expect(savings().servedBytes).toBe(await counter('fleetboot_cache_served_bytes_total'));
    expect(savings().upstreamBytes).toBe(await counter('fleetboot_cache_upstream_bytes_total'));
  });

  it('refuses a file whose SHA-256 differs from the index: the client never gets it whole, nothing is kept', async () => {
    const good = bytes(100_000, 3);
    const bad = Buffer.from(good);
    bad.writeUInt8(good.readUInt8(50_000) ^ 0xff, 50_000);
    publish({ [DEB]: good });
    upstream.files.set(`/debian/${DEB}`, { body: bad });
    const { address, counter } = await startCache();
    await fetchIndexes(address);

    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const r = await get(address, `/debian/${DEB}`);
      expect(r.cut || r.status !== 200).toBe(true);
      expect(r.body.length).toBeLessThan(good.length);
      expect(upstream.count(`/debian/${DEB}`)).toBe(attempt);
    }
    expect(await counter('fleetboot_cache_rejected_downloads_total', { reason: 'sha256' })).toBe(2);
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);

    upstream.files.set(`/debian/${DEB}`, { body: good });
    expect((await get(address, `/debian/${DEB}`)).body.equals(good)).toBe(true);
    expect((await get(address, `/debian/${DEB}`)).headers['x-cache']).toBe('HIT');
  });

  it('refuses a truncated download and keeps nothing; the next request fetches the whole file', async () => {
    const deb = bytes(300_000, 4);
    publish({ [DEB]: deb });
    upstream.files.get(`/debian/${DEB}`)!.truncateAt = 100_000;
    const { address, counter } = await startCache();
    await fetchIndexes(address);

    const r = await get(address, `/debian/${DEB}`);
    // Cut short when the client joined the download before it failed, 502 when it failed first.
    expect(r.cut || r.status === 502).toBe(true);
    expect(r.body.length).toBeLessThan(deb.length);
    expect(await counter('fleetboot_cache_rejected_downloads_total', { reason: 'truncated' })).toBe(1);

    delete upstream.files.get(`/debian/${DEB}`)!.truncateAt;
    const whole = await get(address, `/debian/${DEB}`);
    expect(whole.body.equals(deb)).toBe(true);
    expect(upstream.count(`/debian/${DEB}`)).toBe(2);
  });

  it('refuses a chunked download beyond the quota, when nothing gives its size: nothing kept, none in tmp/', async () => {
    // An index no listing names (no expected size), sent without Content-Length: only the cache's own bound holds.
    const translation = '/debian/dists/t/main/i18n/Translation-en';
    upstream.files.set(translation, { body: bytes(300_000, 7), chunked: true });
    const { address, counter, logs } = await startCache({ quotaBytes: 200_000 });
    const r = await get(address, translation);
    expect(r.cut || r.status === 502).toBe(true);
    expect(r.body.length).toBeLessThan(200_000);
    expect(await counter('fleetboot_cache_rejected_downloads_total', { reason: 'oversize' })).toBe(1);
    expect(logs().filter((l) => l.reason === 'oversize')).toMatchObject([
      { path: 'dists/t/main/i18n/Translation-en' },
    ]);
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
    await get(address, translation);
    expect(upstream.count(translation)).toBe(2);
  });

  it('answers 502 before any byte when upstream announces another size than the index', async () => {
    const deb = bytes(1000, 5);
    publish({ [DEB]: deb }, packagesIndex({ [DEB]: bytes(999, 5) }));
    const { address } = await startCache();
    await fetchIndexes(address);
    const r = await get(address, `/debian/${DEB}`);
    expect(r.status).toBe(502);
    expect(r.body.toString()).toContain('1000 bytes');
  });

  it('passes upstream errors on and caches none of them', async () => {
    const { address } = await startCache();
    const missing = await get(address, `/debian/${DEB}`);
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).toContain('answered 404');
    upstream.files.set('/debian/dists/t/InRelease', { body: Buffer.from('x'), status: 503 });
    const broken = await get(address, '/debian/dists/t/InRelease');
    expect(broken.status).toBe(502);
    expect(broken.headers['x-fleetboot-upstream-status']).toBe('503');
    upstream.files.set('/debian/dists/t/InRelease', { body: Buffer.from('signed') });
    expect((await get(address, '/debian/dists/t/InRelease')).body.toString()).toBe('signed');
  });

  it('passes through, without keeping, a package no index it saw names', async () => {
    const deb = bytes(5000, 6);
    upstream.files.set(`/debian/${DEB}`, { body: deb });
    const { address } = await startCache();
    expect((await get(address, `/debian/${DEB}`)).body.equals(deb)).toBe(true);
    expect((await get(address, `/debian/${DEB}`)).headers['x-cache']).toBe('MISS');
    expect(upstream.count(`/debian/${DEB}`)).toBe(2);
  });

  it('serves Range requests from the cache and while the download runs', async () => {
    const deb = bytes(400_000, 7);
    publish({ [DEB]: deb });
    upstream.files.get(`/debian/${DEB}`)!.chunkDelayMs = 2;
    const { address } = await startCache();
    await fetchIndexes(address);

    const streaming = await get(address, `/debian/${DEB}`, { range: 'bytes=300000-' });
    expect(streaming.status).toBe(206);
    expect(streaming.headers['content-range']).toBe(`bytes 300000-399999/${deb.length}`);
    expect(streaming.body.equals(deb.subarray(300_000))).toBe(true);

    await get(address, `/debian/${DEB}`);
    const kept = await get(address, `/debian/${DEB}`, { range: 'bytes=10-19' });
    expect(kept.status).toBe(206);
    expect(kept.headers['x-cache']).toBe('HIT');
    expect(kept.body.equals(deb.subarray(10, 20))).toBe(true);
    expect((await get(address, `/debian/${DEB}`, { range: 'bytes=400000-' })).status).toBe(416);
    expect(upstream.count(`/debian/${DEB}`)).toBe(1);
  });

  it('revalidates an index after its lifetime and passes it through byte-identical', async () => {
    const signed = Buffer.from('-----BEGIN PGP SIGNED MESSAGE-----\r\nSuite: t\r\n\r\n\u00ff binary\n');
    const lastModified = 'Fri, 27 Nov 2026 08:00:00 GMT';
    upstream.files.set('/debian/dists/t/InRelease', { body: signed, lastModified });
    const { address, counter } = await startCache();
    const url = '/debian/dists/t/InRelease';

    expect((await get(address, url)).body.equals(signed)).toBe(true);
    expect((await get(address, url)).headers['x-cache']).toBe('HIT');
    expect(upstream.count(url)).toBe(1);

    now += 61_000;
    const revalidated = await get(address, url);
    expect(revalidated.body.equals(signed)).toBe(true);
    expect(upstream.conditional).toEqual([url]);
    expect(await counter('fleetboot_cache_requests_total', { outcome: 'revalidated' })).toBe(1);
    expect((await get(address, url, { 'if-modified-since': lastModified })).status).toBe(304);

    now += 61_000;
    const next = Buffer.from('a new archive state\n');
    upstream.files.set(url, { body: next, lastModified: 'Fri, 27 Nov 2026 09:30:00 GMT' });
    expect((await get(address, url)).body.equals(next)).toBe(true);
    expect((await get(address, url)).body.equals(next)).toBe(true);
    expect(upstream.count(url)).toBe(3);
  });

  it('evicts the least recently used files beyond the quota', async () => {
    const debs = Object.fromEntries([1, 2, 3].map((n) => [`pool/p${n}.deb`, bytes(150_000, n)]));
    publish(debs);
    const index = indexBytes();
    const { address, counter } = await startCache({ quotaBytes: index + 310_000 });
    await fetchIndexes(address);
    await get(address, '/debian/pool/p1.deb');
    await get(address, '/debian/pool/p2.deb');
    now += 1000;
    await get(address, '/debian/pool/p1.deb'); // p2 is now the least recently used
    await get(address, '/debian/pool/p3.deb');
    // The index (used once, first) and p2 go; p1, used since, stays.
    expect(await counter('fleetboot_cache_evicted_bytes_total')).toBe(index + 150_000);
    expect((await get(address, '/debian/pool/p1.deb')).headers['x-cache']).toBe('HIT');
    expect((await get(address, '/debian/pool/p2.deb')).headers['x-cache']).toBe('MISS');
  });

  it('keeps its files, their order and the checksums it learned across a restart; removes partial downloads', async () => {
    const debs = { 'pool/a.deb': bytes(10_000, 10), 'pool/b.deb': bytes(10_000, 11) };
    publish(debs);
    const first = await startCache();
    await fetchIndexes(first.address);
    await get(first.address, '/debian/pool/a.deb');
    await first.listener.stop();
    mkdirSync(path.join(root, 'tmp'), { recursive: true });
    writeFileSync(path.join(root, 'tmp', 'interrupted'), 'half a package');

    const second = await startCache();
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
    expect((await get(second.address, '/debian/pool/a.deb')).headers['x-cache']).toBe('HIT');
    await get(second.address, '/debian/pool/b.deb'); // checked against the Packages kept before the restart
    expect((await get(second.address, '/debian/pool/b.deb')).headers['x-cache']).toBe('HIT');
    expect(upstream.count(PACKAGES)).toBe(1);
    expect(upstream.count('/debian/pool/a.deb')).toBe(1);
  });

  it('is not an open proxy, and only for the allowed networks', async () => {
    const open = await startCache();
    // Loopback hosts that are not a configured upstream: if the refusal ever broke, nothing would leave the machine.
    expect((await get(open.address, 'http://127.0.0.99:9/etc/passwd')).status).toBe(403);
    expect((await get(open.address, 'http://127.0.0.99:9/')).status).toBe(403);
    expect((await get(open.address, '/debian/x.deb', {}, 'POST')).status).toBe(405);
    expect((await get(open.address, '/debian/x.deb', {}, 'CONNECT')).status).toBe(405);
    await open.listener.stop();
    const closed = await startCache({ allow: [parseIpv4Subnet('192.0.2.0/24')] });
    const refused = await get(closed.address, `/debian/${DEB}`);
    expect(refused.status).toBe(403);
    expect(upstream.requests).toEqual([]);
  });
});
