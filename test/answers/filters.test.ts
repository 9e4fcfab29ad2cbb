import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FilterError } from '../../src/answers/filter-error.js';
import {
  disk,
  hostDomain,
  hostLabel,
  hostname,
  kickstart,
  packageName,
  passwordHash,
  preseed,
  shell,
  sshKey,
  urlHost,
  urlPath,
  urlScheme,
  username,
  yaml,
} from '../../src/answers/filters.js';
import { splitKickstartWords } from '../../src/answers/validate-kickstart.js';
import { parsePreseed } from '../../src/answers/validate-preseed.js';
import { SHA512CRYPT, SSH_KEY, YESCRYPT } from './sample.js';

// Any code point, including line breaks, NUL, C1 controls, U+2028 and astral characters; and text made of the
// characters that matter to the formats (spaces, quotes, backslashes, comment signs, line breaks) often enough.
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom(' ', '\t', '\\', "'", '"', '#', '$', ';', '\n', 'd-i ', 'a/b', ':', '-', '\u00a0'),
    maxLength: 12,
  }),
);
const withLineBreak = fc
  .tuple(anyText, fc.constantFrom('\n', '\r', '\r\n', '\u2028', '\u0085', '\0'), anyText)
  .map(([a, b, c]) => `${a}${b}${c}`);

function refusal(filter: () => unknown): string {
  try {
    filter();
  } catch (error) {
    if (error instanceof FilterError) return error.message;
    throw error;
  }
  return expect.fail('expected the filter to refuse the value');
}

describe('preseed filter', () => {
  it('never lets a value start another preseed line', () => {
    fc.assert(
      fc.property(anyText, (value) => {
        let written: string;
        try {
          written = preseed(value);
        } catch (error) {
          expect(error).toBeInstanceOf(FilterError);
          return;
        }
        const file = `d-i netcfg/hostname string ${written}\nd-i passwd/root-login boolean false\n`;
        const { entries, problems } = parsePreseed(file);
        expect(problems).toEqual([]);
        expect(entries.map((e) => e.question)).toEqual(['netcfg/hostname', 'passwd/root-login']);
        // d-i strips the spaces and tabs before a value.
        expect(entries[0]?.value).toBe(value.replace(/^[ \t]+/, ''));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses every value with a line break or control character', () => {
    fc.assert(fc.property(withLineBreak, (value) => void refusal(() => preseed(value))));
  });

  it('refuses a trailing backslash, which would join the next line', () => {
    expect(refusal(() => preseed('node\\'))).toMatch(/backslash/);
  });

  it('does not repeat a refused value, which may be a secret', () => {
    expect(refusal(() => preseed('hunter2\nd-i x/y string z'))).not.toContain('hunter2');
  });

  it('writes numbers and booleans, refuses lists and missing values', () => {
    expect(preseed(42)).toBe('42');
    expect(preseed(true)).toBe('true');
    expect(refusal(() => preseed(['a']))).toMatch(/a list/);
    expect(refusal(() => preseed(null))).toMatch(/no value/);
  });
});

describe('shell filter', () => {
  it('quotes any text so that sh reads back exactly that text', () => {
    const noNul = anyText.filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(noNul, (value) => {
        const out = execFileSync('sh', ['-c', `printf %s ${shell(value)}`], { encoding: 'utf8' });
        expect(out).toBe(value);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps a quote from ending the word', () => {
    expect(shell("it's; reboot")).toBe(`'it'\\''s; reboot'`);
  });

  it('refuses NUL, which no shell word can hold', () => {
    expect(refusal(() => shell('a\0b'))).toMatch(/NUL/);
  });
});

describe('yaml filter', () => {
  it('writes a scalar that reads back as exactly the text, and nothing else', () => {
    const text = anyText.filter((s) => !/[\ud800-\udfff]/u.test(s));
    fc.assert(
      fc.property(text, (value) => {
        const written = yaml(value);
        expect(written).toMatch(/^"[\x20-\x7e]*"$/);
        expect(parseYaml(`key: ${written}\nother: 1\n`)).toEqual({ key: value, other: 1 });
      }),
      { numRuns: 500 },
    );
  });

  it('escapes the characters PyYAML takes as line breaks or refuses', () => {
    expect(yaml('a\u2028b\u0085c\u007fd')).toBe('"a\\u2028b\\u0085c\\u007fd"');
    expect(yaml('😀')).toBe('"\\U0001f600"');
  });
});

describe('kickstart filter', () => {
  it('gives pykickstart one word holding exactly the text', () => {
    fc.assert(
      fc.property(anyText, (value) => {
        let written: string;
        try {
          written = kickstart(value);
        } catch (error) {
          expect(error).toBeInstanceOf(FilterError);
          return;
        }
        expect(splitKickstartWords(`network --hostname=${written} --activate`)).toEqual([
          'network',
          `--hostname=${value}`,
          '--activate',
        ]);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses line breaks, which would start another command', () => {
    fc.assert(fc.property(withLineBreak, (value) => void refusal(() => kickstart(value))));
  });
});

describe('hostname filters', () => {
  it.each([
    ['node01', 'node01', 'node01', ''],
    ['Node01.Lab.Example', 'node01.lab.example', 'node01', 'lab.example'],
  ])('%s', (input, name, label, domain) => {
    expect(hostname(input)).toBe(name);
    expect(hostLabel(input)).toBe(label);
    expect(hostDomain(input)).toBe(domain);
  });

  it.each([
    'node_01',
    '-node',
    'node-',
    'a..b',
    'node 1',
    'node\nd-i x/y string z',
    '10.0.0.5',
    '{{7*7}}',
    '',
  ])('refuses %j (RFC 1123)', (input) => {
    expect(refusal(() => hostname(input))).toMatch(/host name/);
  });
});

describe('password_hash filter', () => {
  it.each([
    YESCRYPT,
    SHA512CRYPT,
    '$6$rounds=5000$abcdefgh$yIZAF3gQPvtKZO/9qOJKffAKKbtS3ef3qmwyugk4uWVjX8YZf/GV3A8SkFxEPY0T56CcilGrHKLffBsp6dLMG.',
    '$5$Tr9PKSQgivo/IF.f$KeT8.rcHTMZNqntsaAKkkOcW8kYvW9cc/Ta1K2zOJn0',
  ])('accepts %s', (hash) => {
    expect(passwordHash(hash)).toBe(hash);
  });

  it.each([
    'correct horse',
    '$1$abc$0123456789abcdefghijkl', // md5crypt: refused
    `${SHA512CRYPT}x`,
    `${YESCRYPT}\nd-i x/y string z`,
    '!',
    '*',
  ])('refuses %j without repeating it', (value) => {
    const message = refusal(() => passwordHash(value));
    expect(message).toMatch(/not a password hash.*plain password is never written/);
    expect(message).not.toContain(value);
  });
});

describe('validating filters', () => {
  it('ssh_key takes one public key line', () => {
    expect(sshKey(` ${SSH_KEY} `)).toBe(SSH_KEY);
    expect(sshKey('ecdsa-sha2-nistp256 AAAAE2VjZHNh')).toBe('ecdsa-sha2-nistp256 AAAAE2VjZHNh');
    expect(refusal(() => sshKey('-----BEGIN OPENSSH PRIVATE KEY-----'))).toMatch(/not an SSH public key/);
    expect(refusal(() => sshKey(`${SSH_KEY}\n${SSH_KEY}`))).toMatch(/not an SSH public key/);
    expect(refusal(() => sshKey('command="reboot" ssh-ed25519 AAAA'))).toMatch(/not an SSH public key/);
  });

  it('username follows useradd', () => {
    expect(username('ops')).toBe('ops');
    for (const bad of ['root', 'Ops', '1ops', 'ops user', 'a'.repeat(33), "o'ps"]) {
      expect(refusal(() => username(bad))).toMatch(/not a user name/);
    }
  });

  it('package takes one package name, group or exclusion', () => {
    for (const ok of ['openssh-server', 'libstdc++6', '@core', '@^minimal-environment', '-plymouth', 'g++'])
      expect(packageName(ok)).toBe(ok);
    for (const bad of ['curl vim', 'a;reboot', '', "a'b", 'a\nb']) {
      expect(refusal(() => packageName(bad))).toMatch(/not a package name/);
    }
  });

  it('disk takes a device path', () => {
    expect(disk('/dev/nvme0n1')).toBe('/dev/nvme0n1');
    expect(disk('/dev/disk/by-path/pci-0000:00:1f.2-ata-1')).toBe('/dev/disk/by-path/pci-0000:00:1f.2-ata-1');
    for (const bad of ['sda', '/dev/../etc/passwd', '/dev/sda b', '/dev/', '/etc/passwd']) {
      expect(refusal(() => disk(bad))).toMatch(/not a disk/);
    }
  });

  it('url_* split an http mirror URL for d-i', () => {
    const url = 'https://mirror.example:8443/debian/';
    expect([urlScheme(url), urlHost(url), urlPath(url)]).toEqual(['https', 'mirror.example:8443', '/debian']);
    expect(urlPath('http://m.example')).toBe('/');
    expect(refusal(() => urlHost('ftp://m.example/debian'))).toMatch(/not an http/);
    expect(refusal(() => urlHost('mirror'))).toMatch(/not a URL/);
  });
});
