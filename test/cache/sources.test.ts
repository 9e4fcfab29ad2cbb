import { describe, expect, it } from 'vitest';
import { parseDeb822Sources, parseOneLineSources } from '../../src/cache/apt-sources.js';
import { repositoriesFromSources } from '../../src/cache/repositories.js';

describe('parseOneLineSources (sources.list(5), one-line style)', () => {
  it.each([
    [
      'deb http://deb.debian.org/debian bookworm main contrib',
      {
        type: 'deb',
        uri: 'http://deb.debian.org/debian',
        suites: ['bookworm'],
        components: ['main', 'contrib'],
      },
    ],
    [
      'deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] https://repo.example/apt/ stable main # comment',
      { type: 'deb', uri: 'https://repo.example/apt', suites: ['stable'], components: ['main'] },
    ],
    [
      'deb-src http://deb.debian.org/debian-security bookworm-security/updates main',
      {
        type: 'deb-src',
        uri: 'http://deb.debian.org/debian-security',
        suites: ['bookworm-security/updates'],
        components: ['main'],
      },
    ],
    [
      'deb http://example.org/flat ./',
      { type: 'deb', uri: 'http://example.org/flat', suites: ['./'], components: [] },
    ],
  ])('%s', (line, expected) => {
    const parsed = parseOneLineSources(`# header\n\n${line}\n`, 'sources.list');
    expect(parsed.problems).toEqual([]);
    expect(parsed.sources).toEqual([{ ...expected, origin: 'sources.list:3' }]);
  });

  it.each(['deb', 'deb http://only-a-uri', 'rpm http://x/ y z', 'deb [broken http://x/ y'])(
    'reports %j with its line and keeps going',
    (line) => {
      const parsed = parseOneLineSources(`${line}\ndeb http://ok.example/debian s main\n`, 'x.list');
      expect(parsed.problems).toEqual([{ origin: 'x.list:1', reason: expect.any(String) as string }]);
      expect(parsed.sources.map((s) => s.uri)).toEqual(['http://ok.example/debian']);
    },
  );
});

describe('parseDeb822Sources (sources.list(5), deb822 style)', () => {
  it("reads Debian 12's debian.sources, comments and all", () => {
    const text = [
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
      'URIs: http://deb.debian.org/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb deb-src',
      'URIs: http://deb.debian.org/debian-security/',
      'Suites: bookworm-security',
      'Components: main',
      '',
      'Enabled: no',
      'Types: deb',
      'URIs: http://disabled.example/debian',
      'Suites: bookworm',
      '',
    ].join('\n');
    const parsed = parseDeb822Sources(text, 'debian.sources');
    expect(parsed.problems).toEqual([]);
    expect(parsed.sources).toEqual([
      {
        type: 'deb',
        uri: 'http://deb.debian.org/debian',
        suites: ['bookworm', 'bookworm-updates'],
        components: ['main'],
        origin: 'debian.sources:1',
      },
      ...(['deb', 'deb-src'] as const).map((type) => ({
        type,
        uri: 'http://deb.debian.org/debian-security',
        suites: ['bookworm-security'],
        components: ['main'],
        origin: 'debian.sources:8',
      })),
    ]);
  });

  it('reports a paragraph without URIs and keeps the others', () => {
    const parsed = parseDeb822Sources(
      'Types: deb\nSuites: x\n\nTypes: deb\nURIs: http://a/b\nSuites: s\n',
      'f',
    );
    expect(parsed.problems).toEqual([{ origin: 'f:1', reason: expect.any(String) as string }]);
    expect(parsed.sources).toHaveLength(1);
  });
});

describe('repositoriesFromSources', () => {
  const source = (uri: string) => ({
    type: 'deb' as const,
    uri,
    suites: ['s'],
    components: [],
    origin: 'f:1',
  });

  it('names each distinct http(s) base after its last path segment, once', () => {
    expect(
      repositoriesFromSources([
        source('http://deb.debian.org/debian'),
        source('http://deb.debian.org/debian/'),
        source('http://deb.debian.org/debian-security'),
        source('https://packages.example.com/'),
        source('file:/srv/local'),
        source('cdrom:[Debian]/'),
        source('mirror+file:/etc/apt/mirrors.txt'),
      ]),
    ).toEqual([
      { name: 'debian', upstream: 'http://deb.debian.org/debian' },
      { name: 'debian-security', upstream: 'http://deb.debian.org/debian-security' },
      { name: 'packages.example.com', upstream: 'https://packages.example.com' },
    ]);
  });

  it('puts the host in front of a name taken twice', () => {
    expect(
      repositoriesFromSources([source('http://a.example/debian'), source('http://b.example/debian')]).map(
        (r) => r.name,
      ),
    ).toEqual(['debian', 'b.example-debian']);
  });
});
