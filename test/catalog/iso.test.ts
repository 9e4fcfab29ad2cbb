import { chmodSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildIso,
  catalogFixture,
  isoOfTree,
  entries,
  sha256Of,
  writeTree,
  type CatalogFixture,
} from './support.js';
import type { Catalog } from '../../src/catalog/catalog.js';
import { buildHttpApp, type HttpApp } from '../../src/net/http-app.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { registerBootFiles } from '../../src/provision/http-boot-files.js';
import { memoryLogger } from '../support/logger.js';

// Small ISOs built by xorriso with the layouts of the real ones (protocol-digest §7): what matters to the catalog
// is where the kernel, initrd and info files are, not how large they are.
const UBUNTU = {
  '.disk/info': 'Ubuntu-Server 24.04.1 LTS "Noble Numbat" - Release amd64 (20240827)',
  'casper/vmlinuz': 'ubuntu kernel',
  'casper/initrd': 'ubuntu initrd',
  'casper/ubuntu-server-minimal.squashfs': 'squashfs',
  'boot/grub/grub.cfg': 'menuentry "Try or Install Ubuntu Server" {}',
};

const ROCKY = {
  '.treeinfo': [
    '[header]',
    'type = productmd.treeinfo',
    'version = 1.2',
    '',
    '[release]',
    'name = Rocky Linux',
    'short = Rocky',
    'version = 9.4',
    '',
    '[tree]',
    'arch = x86_64',
    'platforms = x86_64,xen',
    '',
  ].join('\n'),
  'images/pxeboot/vmlinuz': 'rocky kernel',
  'images/pxeboot/initrd.img': 'rocky initrd',
  'images/install.img': 'stage2',
  'BaseOS/repodata/repomd.xml': '<repomd/>',
  'BaseOS/Packages/b/bash-5.1.8-9.el9.x86_64.rpm': 'rpm',
};

const DEBIAN_ISO = {
  '.disk/info': 'Debian GNU/Linux 12.8.0 "Bookworm" - Official amd64 NETINST with firmware 20241109-11:05',
  'install.amd/vmlinuz': 'debian kernel',
  'install.amd/initrd.gz': 'debian initrd',
};

/** `/boot/` over the boot root and the catalog's external sources, as `serve` publishes them. */
function bootFiles(bootRoot: string, catalog: Catalog): HttpApp {
  const app = buildHttpApp({
    logger: memoryLogger().logger,
    metrics: createMetrics({ processMetrics: false }),
    health: () => ({ status: 'ok', components: {} }),
    version: 'test',
  });
  registerBootFiles(app, {
    roots: [bootRoot],
    externalSources: () => catalog.externalSources(),
    logger: memoryLogger().logger,
  });
  return app;
}

describe('importing ISOs and mounted ISO trees', () => {
  let fixture: CatalogFixture;
  beforeAll(() => {
    fixture = catalogFixture();
  });
  afterAll(() => {
    fixture.cleanup();
  });

  it('Ubuntu live-server ISO: casper kernel and initrd, the ISO itself as the install source', async () => {
    const iso = buildIso(fixture.dir, 'ubuntu', UBUNTU);
    const image = await fixture.catalog.import({ source: iso });
    expect(image).toMatchObject({
      name: 'ubuntu-24.04.1-amd64',
      family: 'ubuntu',
      release: '24.04.1',
      arch: 'amd64',
      kernel: 'images/ubuntu-24.04.1-amd64/vmlinuz',
      initrds: ['images/ubuntu-24.04.1-amd64/initrd'],
      installSource: 'images/ubuntu-24.04.1-amd64/ubuntu-24.04.1-amd64.iso',
      loaders: { pxelinux: 'pxelinux.0', 'ipxe-bios': 'undionly.kpxe', 'ipxe-efi-x64': 'snponly.efi' },
    });
    const served = path.join(fixture.bootRoot, image.installSource ?? '');
    // A file of its own (a reflink where the filesystem can, else a copy), never a hard link: /boot/ refuses files
    // with several links (T07), and casper's url= must get the ISO.
    expect(statSync(served).ino).not.toBe(statSync(iso).ino);
    expect(statSync(served).nlink).toBe(1);
    const app = bootFiles(fixture.bootRoot, fixture.catalog);
    const res = await app.inject({ method: 'GET', url: `/boot/${image.installSource ?? ''}` });
    await app.close();
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(readFileSync(iso))).toBe(true);
    expect(readFileSync(path.join(fixture.bootRoot, image.kernel), 'utf8')).toBe('ubuntu kernel');
    expect(image.files).toEqual([
      {
        path: 'images/ubuntu-24.04.1-amd64/initrd',
        sha256: sha256Of(served.replace(/[^/]+$/, 'initrd')),
        size: 13,
      },
      { path: image.installSource, sha256: sha256Of(iso), size: statSync(iso).size },
      {
        path: 'images/ubuntu-24.04.1-amd64/vmlinuz',
        sha256: sha256Of(path.join(fixture.bootRoot, image.kernel)),
        size: 13,
      },
    ]);
    expect(await fixture.catalog.verify(image)).toEqual([]);
  });

  it("publishes a copy of an ISO others cannot read, leaving its owner's file as it was", async () => {
    const iso = buildIso(fixture.dir, 'ubuntu-private', UBUNTU);
    chmodSync(iso, 0o600);
    const image = await fixture.catalog.import({ source: iso, name: 'ubuntu-private' });
    const served = statSync(path.join(fixture.bootRoot, image.installSource ?? ''));
    expect(served.ino).not.toBe(statSync(iso).ino);
    expect(served.mode & 0o777).toBe(0o644);
    expect(statSync(iso).mode & 0o777).toBe(0o600);
  });

  it('RHEL-like ISO: images/pxeboot, and the extracted tree as inst.repo, every file hashed', async () => {
    const iso = buildIso(fixture.dir, 'rocky', ROCKY);
    const image = await fixture.catalog.import({ source: iso });
    expect(image).toMatchObject({
      name: 'rocky-9.4-amd64',
      family: 'rhel',
      release: '9.4',
      arch: 'amd64',
      kernel: 'images/rocky-9.4-amd64/vmlinuz',
      initrds: ['images/rocky-9.4-amd64/initrd.img'],
      installSource: 'images/rocky-9.4-amd64/tree',
    });
    const tree = path.join(fixture.bootRoot, 'images/rocky-9.4-amd64/tree');
    expect(readFileSync(path.join(tree, 'BaseOS/repodata/repomd.xml'), 'utf8')).toBe('<repomd/>');
    const treeFiles = image.files.filter((file) => file.path.startsWith('images/rocky-9.4-amd64/tree/'));
    expect(treeFiles.map((file) => file.path.slice('images/rocky-9.4-amd64/tree/'.length)).sort()).toEqual(
      Object.keys(ROCKY).sort(),
    );
    for (const file of treeFiles) expect(file.sha256).toBe(sha256Of(path.join(fixture.bootRoot, file.path)));
    expect(image.externalSource).toBeUndefined();
  });

  it('RHEL-like tree given as a directory: recorded as an extra root, not copied', async () => {
    const dir = writeTree(path.join(fixture.dir, 'rocky-mounted'), ROCKY);
    const image = await fixture.catalog.import({ source: dir, name: 'rocky-mounted' });
    expect(image.installSource).toBe('images/rocky-mounted/tree');
    expect(image.externalSource).toEqual({ path: 'images/rocky-mounted/tree', directory: dir });
    expect(entries(path.join(fixture.bootRoot, 'images/rocky-mounted'))).toEqual([
      'image.json',
      'initrd.img',
      'vmlinuz',
    ]);
    expect(image.files.map((file) => file.path)).toEqual([
      'images/rocky-mounted/initrd.img',
      'images/rocky-mounted/vmlinuz',
    ]);
    expect(await fixture.catalog.get('rocky-mounted')).toEqual(image);
    // inst.repo= is the install source under /boot/: the tree is served from where it is.
    const app = bootFiles(fixture.bootRoot, fixture.catalog);
    const res = await app.inject({ method: 'GET', url: `/boot/${image.installSource ?? ''}/.treeinfo` });
    const repo = await app.inject({
      method: 'GET',
      url: '/boot/images/rocky-mounted/tree/BaseOS/repodata/repomd.xml',
    });
    await app.close();
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(ROCKY['.treeinfo']);
    expect(repo.body).toBe('<repomd/>');
  });

  it('Debian ISO, as a file and as a mounted tree: install.amd kernel and initrd', async () => {
    const iso = buildIso(fixture.dir, 'debian', DEBIAN_ISO);
    const fromFile = await fixture.catalog.import({ source: iso });
    expect(fromFile).toMatchObject({
      name: 'debian-12.8.0-amd64',
      family: 'debian',
      release: '12.8.0',
      kernel: 'images/debian-12.8.0-amd64/vmlinuz',
      initrds: ['images/debian-12.8.0-amd64/initrd.gz'],
    });
    expect(fromFile.installSource).toBeUndefined();
    const dir = writeTree(path.join(fixture.dir, 'debian-mounted'), DEBIAN_ISO);
    const fromDir = await fixture.catalog.import({ source: dir, name: 'debian-mounted' });
    expect(fromDir.files.map((file) => file.sha256)).toEqual(fromFile.files.map((file) => file.sha256));
  });

  it('Ubuntu from a directory that is no loop-mounted ISO: refused, since casper fetches the ISO itself', async () => {
    const dir = writeTree(path.join(fixture.dir, 'ubuntu-copy'), UBUNTU);
    await expect(fixture.catalog.import({ source: dir, name: 'ubuntu-copy' })).rejects.toThrow(
      `${dir}: ubuntu's installer fetches the ISO itself (casper url=), and this directory is not a loop-mounted ISO: import the .iso file instead`,
    );
  });

  it('asks for --release and --arch when the ISO does not say, and takes them', async () => {
    const bare = buildIso(fixture.dir, 'bare', {
      'images/pxeboot/vmlinuz': 'k',
      'images/pxeboot/initrd.img': 'i',
    });
    await expect(fixture.catalog.import({ source: bare })).rejects.toThrow(
      `cannot tell the release of ${bare}: .treeinfo is missing or does not name it; pass --release`,
    );
    await expect(fixture.catalog.import({ source: bare, release: '9' })).rejects.toThrow(/pass --arch/);
    const image = await fixture.catalog.import({ source: bare, release: '9', arch: 'amd64', name: 'bare' });
    expect(image).toMatchObject({ family: 'rhel', release: '9', arch: 'amd64' });
  });

  it('refuses a family override the source does not match', async () => {
    const iso = buildIso(fixture.dir, 'ubuntu-again', UBUNTU);
    await expect(fixture.catalog.import({ source: iso, family: 'rhel' })).rejects.toThrow(
      `no kernel found under ${iso} for family rhel`,
    );
  });
});

describe('a hostile ISO', () => {
  let fixture: CatalogFixture;
  beforeAll(() => {
    fixture = catalogFixture();
  });
  afterAll(() => {
    fixture.cleanup();
  });

  it('is refused when its initrd is a symlink (Rock Ridge) to a host file: only regular files count', async () => {
    const tree = writeTree(path.join(fixture.dir, 'evil-tree'), {
      '.disk/info': UBUNTU['.disk/info'],
      'casper/vmlinuz': 'k',
    });
    symlinkSync('/etc/shadow', path.join(tree, 'casper/initrd'));
    const iso = isoOfTree(fixture.dir, 'evil', tree);
    await expect(fixture.catalog.import({ source: iso })).rejects.toThrow(
      `${iso}: /casper/initrd not found in the ISO (a required file of this layout)`,
    );
    expect(entries(path.join(fixture.bootRoot, 'images'))).toEqual([]);
  });

  it('is refused when its install tree has a symlink leaving it', async () => {
    const tree = writeTree(path.join(fixture.dir, 'evil-rocky'), ROCKY);
    symlinkSync('../../../../../etc', path.join(tree, 'BaseOS/etc'));
    const iso = isoOfTree(fixture.dir, 'evil-rocky', tree);
    await expect(fixture.catalog.import({ source: iso })).rejects.toThrow(
      `${iso}: symlink "BaseOS/etc" -> "../../../../../etc" points outside the image directory`,
    );
    expect(entries(path.join(fixture.bootRoot, 'images'))).toEqual([]);
  });
});
