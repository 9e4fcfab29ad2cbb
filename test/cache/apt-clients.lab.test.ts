import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, expect, it, vi } from 'vitest';
import type { LabProcess } from '../../src/lab/index.js';
import { describeLab, useLab } from '../support/lab.js';
import { buildRepository, type BuiltRepository } from './fixtures/build-repository.js';
import { CACHE_PORT, SERVER, startCacheLab, UPSTREAM, type CacheLab } from './fixtures/cache-lab.js';

/** Installed by the 20 clients: a dependency chain and independent packages, 12 in all. */
const SMALL = Array.from({ length: 12 }, (_, i) => `fbtest-s${String(i).padStart(2, '0')}`);
const BIG = 'fbtest-big';
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

// Issue 7, "Tests": a local upstream built by the test (dpkg-deb, dpkg-scanpackages, a Release signed with a key
// gpg generates), apt-get in a client namespace configured with that key and the cache as its proxy. Nothing
// leaves the lab's namespaces.
describeLab('package cache: apt-get through fleetboot, against a mirror in a namespace', () => {
  const lab = useLab('cacheapt');
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-cache-lab-'));
  const dataDir = path.join(dir, 'data');
  let repo: BuiltRepository;
  let cacheLab: CacheLab;
  let fleetboot: LabProcess | undefined;
  let clientCount = 0;

  const startFleetboot = (): Promise<LabProcess> => cacheLab.startFleetboot();
  const upstreamCount = (file: string): number => cacheLab.upstreamCount(`/debian/${file}`);
  const behave = (behaviour: object): void => {
    cacheLab.behave(behaviour);
  };

  /** A client with its own apt root (the host's apt state is never touched), using the cache as its proxy. */
  function aptClient(form: 'proxy' | 'mirror' = 'proxy') {
    clientCount += 1;
    const root = path.join(dir, `client${clientCount}`);
    for (const d of [
      'etc/apt/apt.conf.d',
      'etc/apt/preferences.d',
      'etc/apt/trusted.gpg.d',
      'etc/apt/sources.list.d',
      'var/lib/apt/lists/partial',
      'var/cache/apt/archives/partial',
      'var/lib/dpkg',
      'var/log/apt',
    ])
      mkdirSync(path.join(root, d), { recursive: true });
    writeFileSync(path.join(root, 'var/lib/dpkg/status'), '');
    const base = form === 'proxy' ? `http://${UPSTREAM}/debian` : `http://${SERVER}:${CACHE_PORT}/debian`;
    writeFileSync(
      path.join(root, 'etc/apt/sources.list'),
      `deb [signed-by=${repo.keyring}] ${base} ${repo.suite} main\n`,
    );
    const options = [
      `Dir=${root}`,
      `Dir::State::status=${root}/var/lib/dpkg/status`,
      'Debug::NoLocking=1',
      'APT::Sandbox::User=root',
      'APT::Architecture=amd64',
      'Acquire::Languages=none',
      // One attempt: a refused file must show as a failure here, not be retried away.
      'Acquire::Retries=0',
      ...(form === 'proxy'
        ? [`Acquire::http::Proxy=http://${SERVER}:${CACHE_PORT}/`]
        : ['Acquire::http::Proxy=DIRECT']),
    ].flatMap((o) => ['-o', o]);
    const apt = (args: string[]) =>
      cacheLab.clients.exec('apt-get', [...options, ...args], { timeoutMs: 120_000 });
    return {
      update: () => apt(['update']),
      download: (names: readonly string[]) => apt(['install', '--download-only', '--yes', ...names]),
      start: (names: readonly string[]) =>
        cacheLab.clients.run('apt-get', [...options, 'install', '--download-only', '--yes', ...names]),
      /** SHA-256 of each .deb apt downloaded, by file name. */
      archives: () =>
        new Map(
          readdirSync(path.join(root, 'var/cache/apt/archives'))
            .filter((f) => f.endsWith('.deb'))
            .map((f) => [f, sha256(readFileSync(path.join(root, 'var/cache/apt/archives', f)))]),
        ),
    };
  }
  const expectDebs = (archives: Map<string, string>, names: readonly string[]): void => {
    for (const name of names) {
      const deb = repo.debs.get(name);
      expect(archives.get(path.basename(deb?.file ?? '?'))).toBe(deb?.sha256);
    }
  };

  beforeAll(async () => {
    repo = buildRepository(dir, [
      ...SMALL.map((name, i) => ({
        name,
        size: 20_000 + i * 7_000,
        ...(i < 4 ? { depends: [SMALL[i + 4] ?? ''] } : {}),
      })),
      { name: 'fbtest-bad1', size: 50_000 },
      { name: 'fbtest-bad2', size: 50_000 },
      { name: BIG, size: 6 * 1024 * 1024 },
    ]);
    // The default upstream comes from the server's apt sources (here a directory of the test's, in deb822).
    const aptDir = path.join(dir, 'apt');
    mkdirSync(path.join(aptDir, 'sources.list.d'), { recursive: true });
    writeFileSync(
      path.join(aptDir, 'sources.list.d', 'lab.sources'),
      `Types: deb\nURIs: http://${UPSTREAM}/debian\nSuites: ${repo.suite}\nComponents: main\n`,
    );
    cacheLab = await startCacheLab(lab(), { dir, mirrorRoot: repo.root, cache: `aptSources: ${aptDir}` });
    fleetboot = await startFleetboot();
  }, 120_000);

  it('20 clients at once install through the cache: the upstream sees each file once', async () => {
    const group = Array.from({ length: 20 }, () => aptClient());
    const results = await Promise.all(
      group.map(async (c) => [await c.update(), await c.download(SMALL)] as const),
    );
    for (const [update, download] of results) {
      expect(update.code, update.stderr).toBe(0);
      expect(download.code, download.stderr).toBe(0);
    }
    for (const c of group) expectDebs(c.archives(), SMALL);
    for (const name of SMALL) expect(upstreamCount(repo.debs.get(name)?.file ?? '?'), name).toBe(1);
    expect(upstreamCount(`dists/${repo.suite}/InRelease`)).toBe(1);
    // apt follows Acquire-By-Hash: the index crosses once, by its hash, and vouches once the InRelease lists it.
    expect(upstreamCount(repo.packagesByHash)).toBe(1);
    expect(existsSync(path.join(dataDir, 'cache', 'data', 'debian', repo.packagesByHash))).toBe(true);

    // The same repository as a mirror URL on the cache (d-i mirror/http/hostname + directory): all hits.
    const viaMirror = aptClient('mirror');
    expect((await viaMirror.update()).code).toBe(0);
    expect((await viaMirror.download(SMALL)).code).toBe(0);
    expectDebs(viaMirror.archives(), SMALL);
    for (const name of SMALL) expect(upstreamCount(repo.debs.get(name)?.file ?? '?')).toBe(1);
  }, 240_000);

  it('refuses a wrong-hash and a truncated file from upstream, keeps neither, and serves them once repaired', async () => {
    const bad = ['fbtest-bad1', 'fbtest-bad2'].map((n) => repo.debs.get(n)?.file ?? '?');
    behave({ corrupt: [bad[0]], truncate: [bad[1]] });
    for (const [i, name] of ['fbtest-bad1', 'fbtest-bad2'].entries()) {
      const client = aptClient();
      expect((await client.update()).code).toBe(0);
      const result = await client.download([name]);
      expect(result.code, `${name} should fail`).not.toBe(0);
      expect(existsSync(path.join(dataDir, 'cache', 'data', 'debian', bad[i] ?? '?'))).toBe(false);
    }
    // apt may ask again itself (a resumed download): count what the refusals cost, then one fetch each.
    const before = bad.map(upstreamCount);
    behave({});
    const client = aptClient();
    expect((await client.update()).code).toBe(0);
    const repaired = await client.download(['fbtest-bad1', 'fbtest-bad2']);
    expect(repaired.code, repaired.stderr).toBe(0);
    expectDebs(client.archives(), ['fbtest-bad1', 'fbtest-bad2']);
    const another = aptClient();
    expect((await another.update()).code).toBe(0);
    expect((await another.download(['fbtest-bad1', 'fbtest-bad2'])).code).toBe(0);
    for (const [i, file] of bad.entries()) {
      expect(upstreamCount(file)).toBe((before[i] ?? 0) + 1);
      expect(existsSync(path.join(dataDir, 'cache', 'data', 'debian', file))).toBe(true);
    }
  }, 240_000);

  it('kill -9 during a download leaves no partial file; after a restart the file is served whole, and kept', async () => {
    const big = repo.debs.get(BIG)?.file ?? '?';
    behave({ slow: { [big]: 128 * 1024 } }); // 6 MiB at 2.5 MiB/s: about 2.4 s
    const client = aptClient();
    expect((await client.update()).code).toBe(0);
    const downloading = client.start([BIG]);
    await cacheLab.mirror.waitForLine(`GET /debian/${big}`, { timeoutMs: 30_000 });
    // Mid-download: the partial file is in tmp/ (the upstream is throttled to take seconds).
    await vi.waitFor(() => {
      expect(readdirSync(path.join(dataDir, 'cache', 'tmp')).length).toBeGreaterThan(0);
    }, 10_000);
    fleetboot?.signal('SIGKILL');
    await fleetboot?.waitForExit(10_000);
    expect((await downloading.waitForExit(60_000)).code).not.toBe(0);
    expect(existsSync(path.join(dataDir, 'cache', 'data', 'debian', big))).toBe(false);

    behave({});
    fleetboot = await startFleetboot();
    expect(readdirSync(path.join(dataDir, 'cache', 'tmp'))).toEqual([]);
    const again = await client.download([BIG]);
    expect(again.code, again.stderr).toBe(0);
    expectDebs(client.archives(), [BIG]);
    const another = aptClient();
    expect((await another.update()).code).toBe(0);
    expect((await another.download([BIG])).code).toBe(0);
    expectDebs(another.archives(), [BIG]);
    expect(upstreamCount(big)).toBe(2);
  }, 240_000);

  it('keeps the cache across a restart: a new client after it costs the upstream nothing', async () => {
    await fleetboot?.stop(15_000);
    fleetboot = await startFleetboot();
    const client = aptClient();
    expect((await client.update()).code).toBe(0);
    expect((await client.download(SMALL)).code).toBe(0);
    expectDebs(client.archives(), SMALL);
    for (const name of SMALL) expect(upstreamCount(repo.debs.get(name)?.file ?? '?')).toBe(1);
    await fleetboot.stop(15_000);
  }, 240_000);
});
