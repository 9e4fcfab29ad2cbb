import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readIndexText, sniffCompression, UnreadableIndexError } from '../../src/cache/index-text.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-index-text-'));
const TEXT = 'Package: a\nFilename: pool/a.deb\n'.repeat(200);
const file = (name: string, body: Buffer | string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, body);
  return p;
};

describe('readIndexText', () => {
  it.each([
    ['plain', () => Buffer.from(TEXT)],
    ['gzip', () => gzipSync(TEXT)],
    ['xz', () => execFileSync('xz', ['-c'], { input: TEXT })],
    ['bzip2', () => execFileSync('bzip2', ['-c'], { input: TEXT })],
    ['zstd', () => execFileSync('zstd', ['-q', '-c'], { input: TEXT })],
  ])('reads %s, by its magic bytes', async (name, make) => {
    const body = make();
    expect(sniffCompression(body)).toBe(name === 'plain' ? 'none' : name);
    expect(await readIndexText(file(`by-hash-${name}`, body))).toBe(TEXT);
  });

  it.each([
    ['gzip', () => gzipSync(TEXT)],
    ['xz', () => execFileSync('xz', ['-c'], { input: TEXT })],
    ['zstd', () => execFileSync('zstd', ['-q', '-c'], { input: TEXT })],
  ])('stops a %s index at the bound, however well it compresses', async (name, make) => {
    await expect(readIndexText(file(`bomb-${name}`, make()), 1000)).rejects.toThrow(UnreadableIndexError);
  });

  it.each([
    // Small input, big dictionary/window: cheap to make, but a decoder would reserve 513 MiB / 2 GiB for it.
    ['xz', () => execFileSync('xz', ['-c', '--lzma2=dict=512MiB,mf=hc3'], { input: TEXT })],
    ['zstd', () => execFileSync('zstd', ['-q', '-c', '--long=31'], { input: TEXT })],
  ])('refuses a %s stream whose decoder needs more memory than the bound', async (name, make) => {
    await expect(readIndexText(file(`greedy-${name}`, make()))).rejects.toThrow(/memory/i);
  });

  it('does not read lz4, and reports a corrupt stream', async () => {
    const lz4 = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), Buffer.from('x')]);
    await expect(readIndexText(file('lz4', lz4))).rejects.toThrow('lz4');
    const broken = execFileSync('xz', ['-c'], { input: TEXT }).subarray(0, 40);
    await expect(readIndexText(file('broken.xz', broken))).rejects.toThrow(/xz exited/);
  });
});
