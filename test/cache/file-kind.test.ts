import { describe, expect, it } from 'vitest';
import { classifyFile, readBound, roleOfListedName } from '../../src/cache/file-kind.js';
import { MAX_INDEX_TEXT_BYTES, MAX_LISTING_BYTES } from '../../src/cache/index-text.js';

const HASH = 'a'.repeat(64);
const byPackages = { by: 'packages' };
const listed = { by: 'listing', required: false };
const mustBeListed = { by: 'listing', required: true };
const RELEASES = ['dists/bookworm/InRelease', 'dists/bookworm/Release'];

describe('classifyFile', () => {
  it.each([
    ['pool/main/h/hello/hello_2.10-3_amd64.deb', { kind: 'immutable', check: byPackages }],
    ['pool/main/n/netcfg/netcfg_1.187_amd64.udeb', { kind: 'immutable', check: byPackages }],
    ['Packages/x86_64/bash-5.1-6.el9.x86_64.rpm', { kind: 'immutable', check: byPackages }],
    // Deltas are listed in prestodelta.xml, which the cache does not read.
    ['drpms/bash-5.1-5_5.1-6.el9.x86_64.drpm', { kind: 'passthrough' }],
    [
      `dists/bookworm/main/binary-amd64/by-hash/SHA256/${HASH}`,
      { kind: 'immutable', check: { by: 'name', sha256: HASH } },
    ],
    [
      `dists/bookworm/main/i18n/by-hash/SHA256/${HASH}`,
      { kind: 'immutable', check: { by: 'name', sha256: HASH } },
    ],
    [`dists/bookworm/main/binary-amd64/by-hash/MD5Sum/${'a'.repeat(32)}`, { kind: 'passthrough' }],
    ['dists/bookworm/InRelease', { kind: 'index', check: listed, role: 'release' }],
    ['dists/bookworm/Release', { kind: 'index', check: listed, role: 'release' }],
    ['dists/bookworm/Release.gpg', { kind: 'index', check: listed }],
    ['dists/bookworm/main/binary-amd64/Release', { kind: 'index', check: listed, role: 'release' }],
    ['dists/bookworm/main/binary-amd64/Packages', { kind: 'index', check: listed, role: 'packages' }],
    ['dists/bookworm/main/binary-amd64/Packages.xz', { kind: 'index', check: listed, role: 'packages' }],
    [
      'dists/bookworm/main/debian-installer/binary-amd64/Packages.gz',
      { kind: 'index', check: listed, role: 'packages' },
    ],
    ['dists/bookworm/main/source/Sources.xz', { kind: 'index', check: listed }],
    ['dists/bookworm/main/i18n/Translation-en.bz2', { kind: 'index', check: listed }],
    ['dists/bookworm/main/Contents-amd64.gz', { kind: 'index', check: listed }],
    ['BaseOS/x86_64/os/repodata/repomd.xml', { kind: 'index', check: listed, role: 'repomd' }],
    ['BaseOS/x86_64/os/repodata/repomd.xml.asc', { kind: 'index', check: listed }],
    [
      `BaseOS/x86_64/os/repodata/${HASH}-primary.xml.gz`,
      {
        kind: 'immutable',
        check: mustBeListed,
        role: 'primary',
        prerequisites: [['BaseOS/x86_64/os/repodata/repomd.xml']],
      },
    ],
    [
      `repodata/${HASH}-filelists.xml.zst`,
      { kind: 'immutable', check: mustBeListed, prerequisites: [['repodata/repomd.xml']] },
    ],
    // createrepo_c --simple-md-filenames: the name does not fix the content.
    [
      'repodata/primary.xml.gz',
      { kind: 'index', check: mustBeListed, role: 'primary', prerequisites: [['repodata/repomd.xml']] },
    ],
    [
      'dists/bookworm/main/installer-amd64/20230607+deb12u11/images/netboot/netboot.tar.gz',
      {
        kind: 'immutable',
        check: mustBeListed,
        prerequisites: [
          RELEASES,
          ['dists/bookworm/main/installer-amd64/20230607+deb12u11/images/SHA256SUMS'],
        ],
      },
    ],
    [
      'dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64/linux',
      {
        kind: 'index',
        check: mustBeListed,
        prerequisites: [RELEASES, ['dists/bookworm/main/installer-amd64/current/images/SHA256SUMS']],
      },
    ],
    [
      'dists/bookworm/main/installer-amd64/20230607+deb12u11/images/SHA256SUMS',
      { kind: 'index', check: listed, role: 'sums', prerequisites: [RELEASES] },
    ],
    ['dists/bookworm/main/installer-amd64/current/images/MD5SUMS', { kind: 'index', check: listed }],
    ['README', { kind: 'passthrough' }],
    ['ls-lR.gz', { kind: 'passthrough' }],
    ['pool/main/h/hello/hello_2.10-3.dsc', { kind: 'passthrough' }],
  ])('%s', (path, expected) => {
    expect(classifyFile(path.split('/'))).toEqual(expected);
  });
});

describe('roleOfListedName', () => {
  it('gives a by-hash file the role of the index the Release lists under its hash', () => {
    expect(roleOfListedName('dists/t/main/binary-amd64/Packages.xz')).toBe('packages');
    expect(roleOfListedName('dists/t/main/i18n/Translation-en.bz2')).toBeUndefined();
    expect(roleOfListedName('dists/t/main/installer-amd64/current/images/SHA256SUMS')).toBe('sums');
  });
});

describe('readBound', () => {
  const bound = (path: string): number => readBound(classifyFile(path.split('/')));
  it('bounds listings and parsed indexes by what the cache reads of them, other files not at all', () => {
    expect(bound('dists/t/InRelease')).toBe(MAX_LISTING_BYTES);
    expect(bound('repodata/repomd.xml')).toBe(MAX_LISTING_BYTES);
    expect(bound('dists/t/main/installer-amd64/current/images/SHA256SUMS')).toBe(MAX_LISTING_BYTES);
    expect(bound('dists/t/main/binary-amd64/Packages.xz')).toBe(MAX_INDEX_TEXT_BYTES);
    expect(bound(`repodata/${'b'.repeat(64)}-primary.xml.gz`)).toBe(MAX_INDEX_TEXT_BYTES);
    // Read by apt, not by the cache: only the quota bounds them (an installer image may be large).
    expect(bound('dists/t/main/i18n/Translation-en')).toBe(Infinity);
    expect(bound('dists/t/main/installer-amd64/current/images/netboot/mini.iso')).toBe(Infinity);
    expect(bound('pool/main/h/hello/hello_2.10-3_amd64.deb')).toBe(Infinity);
  });
});
