import { describe, expect, it } from 'vitest';
import { classifyFile } from '../../src/cache/file-kind.js';

const HASH = 'a'.repeat(64);

describe('classifyFile', () => {
  it.each([
    [
      'pool/main/h/hello/hello_2.10-3_amd64.deb',
      { kind: 'immutable', check: { by: 'packages' }, packagesIndex: false },
    ],
    [
      'pool/main/n/netcfg/netcfg_1.187_amd64.udeb',
      { kind: 'immutable', check: { by: 'packages' }, packagesIndex: false },
    ],
    [
      'Packages/x86_64/bash-5.1-6.el9.x86_64.rpm',
      { kind: 'immutable', check: { by: 'length' }, packagesIndex: false },
    ],
    [
      `dists/bookworm/main/binary-amd64/by-hash/SHA256/${HASH}`,
      { kind: 'immutable', check: { by: 'name', sha256: HASH }, packagesIndex: true },
    ],
    [
      `dists/bookworm/main/i18n/by-hash/SHA256/${HASH}`,
      { kind: 'immutable', check: { by: 'name', sha256: HASH }, packagesIndex: false },
    ],
    [`dists/bookworm/main/binary-amd64/by-hash/MD5Sum/${'a'.repeat(32)}`, { kind: 'passthrough' }],
    ['dists/bookworm/InRelease', { kind: 'index', packagesIndex: false }],
    ['dists/bookworm/Release', { kind: 'index', packagesIndex: false }],
    ['dists/bookworm/Release.gpg', { kind: 'index', packagesIndex: false }],
    ['dists/bookworm/main/binary-amd64/Release', { kind: 'index', packagesIndex: false }],
    ['dists/bookworm/main/binary-amd64/Packages', { kind: 'index', packagesIndex: true }],
    ['dists/bookworm/main/binary-amd64/Packages.xz', { kind: 'index', packagesIndex: true }],
    ['dists/bookworm/main/debian-installer/binary-amd64/Packages.gz', { kind: 'index', packagesIndex: true }],
    ['dists/bookworm/main/source/Sources.xz', { kind: 'index', packagesIndex: false }],
    ['dists/bookworm/main/i18n/Translation-en.bz2', { kind: 'index', packagesIndex: false }],
    ['dists/bookworm/main/Contents-amd64.gz', { kind: 'index', packagesIndex: false }],
    ['BaseOS/x86_64/os/repodata/repomd.xml', { kind: 'index', packagesIndex: false }],
    [
      `BaseOS/x86_64/os/repodata/${HASH}-primary.xml.gz`,
      { kind: 'immutable', check: { by: 'length' }, packagesIndex: false },
    ],
    [
      'dists/bookworm/main/installer-amd64/20230607+deb12u11/images/netboot/netboot.tar.gz',
      { kind: 'immutable', check: { by: 'length' }, packagesIndex: false },
    ],
    [
      'dists/bookworm/main/installer-amd64/current/images/netboot/netboot.tar.gz',
      { kind: 'index', packagesIndex: false },
    ],
    [
      'dists/bookworm/main/installer-amd64/20230607+deb12u11/images/SHA256SUMS',
      { kind: 'index', packagesIndex: false },
    ],
    ['README', { kind: 'passthrough' }],
    ['ls-lR.gz', { kind: 'passthrough' }],
    ['pool/main/h/hello/hello_2.10-3.dsc', { kind: 'passthrough' }],
  ])('%s', (path, expected) => {
    expect(classifyFile(path.split('/'))).toEqual(expected);
  });
});
