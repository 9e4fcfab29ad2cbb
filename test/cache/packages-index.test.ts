import { describe, expect, it } from 'vitest';
import { parseDeb822 } from '../../src/cache/deb822.js';
import { parsePackagesIndex } from '../../src/cache/packages-index.js';

const SHA = 'ab'.repeat(32);

const stanza = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');

describe('parsePackagesIndex', () => {
  it('reads Filename, Size and SHA256 of every stanza, ignoring the rest', () => {
    const text = [
      stanza({
        Package: 'hello',
        Version: '2.10-3',
        Filename: 'pool/main/h/hello/hello_2.10-3_amd64.deb',
        Size: '52968',
        MD5sum: '0'.repeat(32),
        SHA256: SHA,
      }),
      'Description: a\n multi-line\n .\n description',
      '',
      stanza({ package: 'b', filename: 'pool/main/b/b.deb', size: '1', sha256: SHA.toUpperCase() }),
      '',
    ].join('\n');
    expect(parsePackagesIndex(text)).toEqual({
      files: new Map([
        ['pool/main/h/hello/hello_2.10-3_amd64.deb', { size: 52968, sha256: SHA }],
        ['pool/main/b/b.deb', { size: 1, sha256: SHA }],
      ]),
      skipped: [],
    });
  });

  it.each([
    [{ Package: 'x', Size: '1', SHA256: SHA }, 'Filename'],
    [{ Filename: '/etc/passwd', Size: '1', SHA256: SHA }, 'Filename'],
    [{ Filename: 'pool/../../x.deb', Size: '1', SHA256: SHA }, 'Filename'],
    [{ Filename: 'pool/x.deb', SHA256: SHA }, 'Size'],
    [{ Filename: 'pool/x.deb', Size: '-1', SHA256: SHA }, 'Size'],
    [{ Filename: 'pool/x.deb', Size: '12kB', SHA256: SHA }, 'Size'],
    [{ Filename: 'pool/x.deb', Size: '1' }, 'SHA256'],
    [{ Filename: 'pool/x.deb', Size: '1', SHA256: 'abc' }, 'SHA256'],
    [{ Filename: 'pool/x.deb', Size: '1', MD5sum: '0'.repeat(32) }, 'SHA256'],
  ])('skips %j (no usable %s) and keeps the next stanza', (fields, missing) => {
    const index = parsePackagesIndex(
      `${stanza(fields)}\n\n${stanza({ Filename: 'pool/ok.deb', Size: '2', SHA256: SHA })}\n`,
    );
    expect([...index.files.keys()]).toEqual(['pool/ok.deb']);
    expect(index.skipped).toEqual([{ line: 1, reason: expect.stringContaining(missing) as string }]);
  });

  it('reports a line that is not a field, with its number', () => {
    const index = parsePackagesIndex(`Filename: pool/a.deb\nSize: 3\nSHA256: ${SHA}\nnot a field\n`);
    expect(index.files.size).toBe(1);
    expect(index.skipped).toEqual([{ line: 4, reason: 'expected "Field: value"' }]);
  });
});

describe('parseDeb822', () => {
  it('joins continuation lines, maps a lone "." to an empty line, accepts CRLF', () => {
    const { paragraphs } = parseDeb822('A: 1\r\nB: x\r\n y\r\n .\r\n z\r\n\r\n\r\nC: 2\r\n');
    expect(paragraphs.map((p) => [...p.fields])).toEqual([
      [
        ['a', '1'],
        ['b', 'x\ny\n\nz'],
      ],
      [['c', '2']],
    ]);
    expect(paragraphs.map((p) => p.line)).toEqual([1, 8]);
  });

  it('reports a continuation line with no field before it', () => {
    expect(parseDeb822(' orphan\nA: 1\n').problems).toEqual([
      { line: 1, reason: expect.any(String) as string },
    ]);
  });
});
