import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LabProcess } from '../../src/lab/index.js';
import { describeLab, useLab } from '../support/lab.js';
import { buildRpmRepository, type BuiltRpmRepository } from './fixtures/build-rpm-repository.js';
import { CACHE_PORT, SERVER, startCacheLab, UPSTREAM, type CacheLab } from './fixtures/cache-lab.js';

/** Installed by every client: the first two require the next two. */
const SMALL = Array.from({ length: 5 }, (_, i) => `fbtest-r${i}`);
const BAD = 'fbtest-rbad';
const CLIENTS = 6;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

// Issue 7 for dnf: a repository built by the test (rpmbuild, rpmsign, createrepo_c, repomd.xml signed with a key gpg
// generates), Debian's dnf in a client namespace with the cache as its proxy (`proxy=` in the repo file), checking
// the packages' and the metadata's signatures with that key. Nothing leaves the lab's namespaces.
describeLab('package cache: dnf through fleetboot, against an rpm mirror in a namespace', () => {
  const lab = useLab('cachednf');
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-cache-dnf-'));
  const dataDir = path.join(dir, 'data');
  let repo: BuiltRpmRepository;
  let cacheLab: CacheLab;
  let fleetboot: LabProcess | undefined;
  let clientCount = 0;

  const upstreamCount = (file: string): number => cacheLab.upstreamCount(`/rpm/${file}`);
  const keptInCache = (file: string): boolean =>
    existsSync(path.join(dataDir, 'cache', 'data', 'fbrpm', file));
  const behave = (behaviour: object): void => {
    cacheLab.behave(behaviour);
  };

  /** A dnf client with its own install root and configuration (the host's are never touched). */
  function dnfClient() {
    clientCount += 1;
    const root = path.join(dir, `client${clientCount}`);
    const repos = path.join(root, 'etc', 'yum.repos.d');
    mkdirSync(repos, { recursive: true });
    writeFileSync(
      path.join(root, 'dnf.conf'),
      [
        '[main]',
        `reposdir=${repos}`,
        `cachedir=${root}/var/cache/dnf`,
        `logdir=${root}/var/log`,
        `persistdir=${root}/var/lib/dnf`,
        'install_weak_deps=0',
        // One attempt: a refused file must show as a failure here, not be retried away.
        'retries=1',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(repos, 'fbtest.repo'),
      [
        '[fbtest]',
        'name=fleetboot test repository',
        `baseurl=http://${UPSTREAM}/rpm/`,
        `proxy=http://${SERVER}:${CACHE_PORT}/`,
        'gpgcheck=1',
        'repo_gpgcheck=1',
        `gpgkey=file://${repo.key}`,
        'skip_if_unavailable=0',
        '',
      ].join('\n'),
    );
    const dnf = (args: string[]) =>
      cacheLab.clients.exec(
        'dnf',
        [
          '--assumeyes',
          '--config',
          path.join(root, 'dnf.conf'),
          '--installroot',
          root,
          '--releasever',
          '1',
          ...args,
        ],
        { timeoutMs: 180_000 },
      );
    return {
      install: (names: readonly string[]) => dnf(['install', ...names]),
      /** SHA-256 of the data file each installed package put in place, by package name. */
      installed: (name: string): string | undefined => {
        const file = path.join(root, 'usr', 'share', name, 'data');
        return existsSync(file) ? sha256(readFileSync(file)) : undefined;
      },
    };
  }
  const expected = (name: string): string => sha256(readFileSync(path.join(dir, 'rpm-data', name)));

  beforeAll(async () => {
    repo = buildRpmRepository(dir, [
      ...SMALL.map((name, i) => ({
        name,
        size: 20_000 + i * 9_000,
        ...(i < 2 ? { requires: [SMALL[i + 2] ?? ''] } : {}),
      })),
      { name: BAD, size: 40_000 },
    ]);
    cacheLab = await startCacheLab(lab(), {
      dir,
      mirrorRoot: repo.root,
      cache: `repositories: [{name: fbrpm, upstream: "http://${UPSTREAM}/rpm"}]`,
    });
    fleetboot = await cacheLab.startFleetboot();
  }, 180_000);
  afterAll(async () => {
    await fleetboot?.stop(15_000);
  });

  it(`${CLIENTS} dnf clients at once install through the cache: the upstream sees each file once`, async () => {
    const group = Array.from({ length: CLIENTS }, () => dnfClient());
    const results = await Promise.all(group.map((c) => c.install(SMALL.slice(0, 2))));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    for (const c of group)
      for (const name of SMALL.slice(0, 4)) expect(c.installed(name), name).toBe(expected(name));
    for (const name of SMALL.slice(0, 4)) {
      const file = repo.rpms.get(name)?.file ?? '?';
      expect(upstreamCount(file), name).toBe(1);
      expect(keptInCache(file), name).toBe(true);
    }
    expect(upstreamCount('repodata/repomd.xml')).toBe(1);
    expect(upstreamCount('repodata/repomd.xml.asc')).toBe(1);
    const primary = repo.repodata.find((f) => f.endsWith('-primary.xml.gz')) ?? '?';
    expect(upstreamCount(primary)).toBe(1);
    expect(keptInCache(primary)).toBe(true);
  }, 300_000);

  it('refuses an rpm whose SHA-256 differs from the primary metadata, keeps it not, serves it once repaired', async () => {
    const file = repo.rpms.get(BAD)?.file ?? '?';
    behave({ corrupt: [file] });
    const client = dnfClient();
    const refused = await client.install([BAD]);
    expect(refused.code, 'dnf should fail').not.toBe(0);
    expect(client.installed(BAD)).toBeUndefined();
    expect(keptInCache(file)).toBe(false);
    // The cache refused it (not only dnf): one warning per refused download, naming the repository and path.
    const refusals = (fleetboot?.lines('stderr') ?? [])
      .filter((l) => l.includes('"reason":"sha256"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals[0]).toMatchObject({ repository: 'fbrpm', path: file });
    const before = upstreamCount(file);
    expect(refusals.length).toBe(before);
    expect(before).toBeGreaterThan(0);

    behave({});
    for (const c of [client, dnfClient()]) {
      const result = await c.install([BAD]);
      expect(result.code, result.stderr).toBe(0);
      expect(c.installed(BAD)).toBe(expected(BAD));
    }
    expect(upstreamCount(file)).toBe(before + 1);
    expect(keptInCache(file)).toBe(true);
  }, 300_000);
});
