import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bytes,
  get,
  packagesIndex,
  releaseFile,
  sha256,
  startCache,
  startUpstream,
  type RunningCache,
  type TestUpstream,
} from './support.js';

// Issue 7 "Hash chain": a Packages index vouches for packages only when the Release lists it with its SHA-256
// and size; anything else it names passes through and is not kept.
const DISTS = '/debian/dists/t';
const BINARY = `${DISTS}/main/binary-amd64`;

let upstream: TestUpstream;
let root: string;
let cache: RunningCache | undefined;

beforeEach(async () => {
  upstream = await startUpstream();
  root = mkdtempSync(path.join(tmpdir(), 'fleetboot-cache-chain-'));
});

afterEach(async () => {
  await cache?.stop();
  cache = undefined;
  await upstream.close();
});

const start = async (): Promise<RunningCache> =>
  (cache = await startCache({ upstream, root, now: () => Date.parse('2026-11-27T09:00:00Z') }));
const kept = (file: string): boolean => existsSync(path.join(root, 'data', file.replace(/^\//, '')));
const put = (file: string, body: Buffer | string): void => {
  upstream.files.set(file, { body: Buffer.from(body) });
};

/** Fetches a package twice: whether the second came from the cache, and what crossed the uplink. */
async function twice(address: string, deb: string, body: Buffer): Promise<{ hit: boolean; fetched: number }> {
  for (let i = 0; i < 2; i += 1) expect((await get(address, `/debian/${deb}`)).body.equals(body)).toBe(true);
  const again = await get(address, `/debian/${deb}`);
  return { hit: again.headers['x-cache'] === 'HIT', fetched: upstream.count(`/debian/${deb}`) };
}

describe('hash chain: Release → Packages → .deb', () => {
  const deb = 'pool/main/a/a/a_1_all.deb';
  const body = bytes(6000, 21);
  const index = Buffer.from(packagesIndex({ [deb]: body }));

  it('keeps packages named by an index the Release lists with its SHA-256 and size', async () => {
    put(`${DISTS}/InRelease`, releaseFile({ 'main/binary-amd64/Packages': index }));
    put(`${BINARY}/Packages`, index);
    put(`/debian/${deb}`, body);
    const { address } = await start();
    await get(address, `${DISTS}/InRelease`);
    await get(address, `${BINARY}/Packages`);
    expect(await twice(address, deb, body)).toEqual({ hit: true, fetched: 1 });
  });

  it('does not let an index the Release does not list vouch: its packages pass through, unkept', async () => {
    put(`${DISTS}/InRelease`, releaseFile({ 'main/binary-i386/Packages': index }));
    put(`${BINARY}/Packages`, index);
    put(`/debian/${deb}`, body);
    const { address } = await start();
    await get(address, `${DISTS}/InRelease`);
    expect((await get(address, `${BINARY}/Packages`)).body.equals(index)).toBe(true);
    expect(await twice(address, deb, body)).toEqual({ hit: false, fetched: 3 });
    expect(kept(`debian/${deb}`)).toBe(false);
  });

  it('refuses an index whose SHA-256 differs from the Release, keeps neither it nor what it names', async () => {
    const forged = Buffer.from(packagesIndex({ [deb]: body }).replace('Version: 1', 'Version: 2'));
    expect(forged.length).toBe(index.length);
    put(`${DISTS}/InRelease`, releaseFile({ 'main/binary-amd64/Packages': index }));
    put(`${BINARY}/Packages`, forged);
    put(`/debian/${deb}`, body);
    const { address, counter, logs } = await start();
    await get(address, `${DISTS}/InRelease`);
    const refused = await get(address, `${BINARY}/Packages`);
    expect(refused.cut || refused.status === 502).toBe(true);
    expect(refused.body.equals(forged)).toBe(false);
    expect(kept(`${BINARY}/Packages`)).toBe(false);
    expect(await counter('fleetboot_cache_rejected_downloads_total', { reason: 'sha256' })).toBe(1);
    const warnings = logs().filter((l) => l.reason === 'sha256');
    expect(warnings).toMatchObject([{ repository: 'debian', path: 'dists/t/main/binary-amd64/Packages' }]);
    expect(String(warnings[0]?.msg)).toContain('dists/t/InRelease');
    expect(await twice(address, deb, body)).toEqual({ hit: false, fetched: 3 });

    // Another length than the Release lists: refused before any byte, with a 502 that says why.
    put(`${BINARY}/Packages`, Buffer.concat([index, Buffer.from('\n')]));
    const early = await get(address, `${BINARY}/Packages`);
    expect(early.status).toBe(502);
    expect(early.body.toString()).toContain(`dists/t/InRelease says ${index.length}`);
    expect(await counter('fleetboot_cache_rejected_downloads_total', { reason: 'size' })).toBe(1);
  });

  it('keeps an index fetched before its Release, and trusts it once the Release lists it', async () => {
    put(`${DISTS}/Release`, releaseFile({ 'main/binary-amd64/Packages': index }));
    put(`${BINARY}/Packages`, index);
    put(`/debian/${deb}`, body);
    const { address } = await start();
    await get(address, `${BINARY}/Packages`);
    expect((await get(address, `/debian/${deb}`)).headers['x-cache']).toBe('MISS');
    expect(kept(`debian/${deb}`)).toBe(false);
    await get(address, `${DISTS}/Release`);
    expect(await twice(address, deb, body)).toEqual({ hit: true, fetched: 2 });
    expect(upstream.count(`${BINARY}/Packages`)).toBe(1);
  });

  it('follows Acquire-By-Hash: a by-hash index the Release lists vouches; one off its name is refused', async () => {
    const gz = gzipSync(index);
    const byHash = `${BINARY}/by-hash/SHA256/${sha256(gz)}`;
    put(`${DISTS}/InRelease`, releaseFile({ 'main/binary-amd64/Packages.gz': gz }));
    put(byHash, gz);
    put(`/debian/${deb}`, body);
    const { address, counter } = await start();
    await get(address, `${DISTS}/InRelease`);
    expect((await get(address, byHash)).body.equals(gz)).toBe(true);
    expect(await twice(address, deb, body)).toEqual({ hit: true, fetched: 1 });

    const wrong = `${BINARY}/by-hash/SHA256/${'0'.repeat(64)}`;
    put(wrong, gz);
    const bad = await get(address, wrong);
    expect(bad.cut || bad.status === 502).toBe(true);
    expect(kept(wrong)).toBe(false);
    expect(await counter('fleetboot_cache_rejected_downloads_total', { reason: 'sha256' })).toBe(1);
  });

  it('rebuilds the chain after a restart: kept Release and index still vouch', async () => {
    put(`${DISTS}/InRelease`, releaseFile({ 'main/binary-amd64/Packages': index }));
    put(`${BINARY}/Packages`, index);
    put(`/debian/${deb}`, body);
    let { address } = await start();
    await get(address, `${DISTS}/InRelease`);
    await get(address, `${BINARY}/Packages`);
    await cache?.stop();
    ({ address } = await start());
    expect(await twice(address, deb, body)).toEqual({ hit: true, fetched: 1 });
  });
});

describe('compressed Packages indexes', () => {
  const files = Object.fromEntries(
    ['gz', 'xz', 'bz2', 'zst', 'lz4'].map((ext) => [ext, `pool/main/c/c${ext}/c${ext}_1_all.deb`]),
  );
  const bodies = Object.fromEntries(Object.keys(files).map((ext, i) => [ext, bytes(3000 + i * 100, 30 + i)]));
  const compress = (ext: string, text: string): Buffer => {
    if (ext === 'gz') return gzipSync(text);
    const tool = { xz: ['xz', '-c'], bz2: ['bzip2', '-c'], zst: ['zstd', '-q', '-c'] }[ext];
    if (tool) return execFileSync(tool[0] ?? '', tool.slice(1), { input: text });
    // An lz4 frame's magic, then bytes: the cache recognises the format and does not read it.
    return Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), Buffer.from(text)]);
  };

  it('reads gzip, xz, bzip2 and zstd (Debian tools for the last three); an lz4 index vouches for nothing', async () => {
    const listed: Record<string, Buffer> = {};
    for (const [ext, deb] of Object.entries(files)) {
      const name = `main/binary-${ext}/Packages.${ext}`;
      const data = compress(ext, packagesIndex({ [deb]: bodies[ext] ?? Buffer.alloc(0) }));
      listed[name] = data;
      put(`${DISTS}/${name}`, data);
      put(`/debian/${deb}`, bodies[ext] ?? Buffer.alloc(0));
    }
    put(`${DISTS}/InRelease`, releaseFile(listed));
    const { address } = await start();
    await get(address, `${DISTS}/InRelease`);
    for (const name of Object.keys(listed)) {
      expect((await get(address, `${DISTS}/${name}`)).body.equals(listed[name] ?? Buffer.alloc(0))).toBe(
        true,
      );
    }
    for (const [ext, deb] of Object.entries(files)) {
      const result = await twice(address, deb, bodies[ext] ?? Buffer.alloc(0));
      expect(result, ext).toEqual(ext === 'lz4' ? { hit: false, fetched: 3 } : { hit: true, fetched: 1 });
    }
    // The lz4 index itself is still kept and served byte-identical: only what it names is not kept.
    expect(kept(`${DISTS}/main/binary-lz4/Packages.lz4`)).toBe(true);
  });
});
