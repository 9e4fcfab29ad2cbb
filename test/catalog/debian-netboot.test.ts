import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogImage } from '../../src/catalog/catalog.js';
import { HOST_LOADERS } from '../../src/catalog/loaders.js';
import {
  catalogFixture,
  DEBIAN_NETBOOT_TREE,
  entries,
  IMPORTED_AT,
  sha256Of,
  type CatalogFixture,
} from './support.js';

// The real tree of Debian's debian-installer-12-netboot-amd64 package (scripts/setup-test.sh installs it).
describe('importing the Debian 12 netboot tree', () => {
  let fixture: CatalogFixture;
  let image: CatalogImage;

  beforeAll(async () => {
    fixture = catalogFixture();
    image = await fixture.catalog.import({ source: DEBIAN_NETBOOT_TREE });
  });
  afterAll(() => {
    fixture.cleanup();
  });

  it('names and describes the image from version.info and the tree', () => {
    expect(image).toMatchObject({
      name: 'debian-12-amd64',
      family: 'debian',
      release: '12',
      arch: 'amd64',
      kernel: 'images/debian-12-amd64/linux',
      initrds: ['images/debian-12-amd64/initrd.gz'],
      source: DEBIAN_NETBOOT_TREE,
      importedAt: IMPORTED_AT,
      grubPrefix: 'debian-installer/amd64/grub',
    });
    expect(image.installSource).toBeUndefined();
  });

  it('records a loader per firmware: shared ones at the top, the signed shim and GRUB in the image', () => {
    expect(image.loaders).toEqual({
      pxelinux: 'pxelinux.0',
      'ipxe-bios': 'undionly.kpxe',
      'ipxe-efi-x64': 'snponly.efi',
      'shim-x64': 'images/debian-12-amd64/bootnetx64.efi',
      'grub-x64': 'images/debian-12-amd64/grubx64.efi',
    });
  });

  it('copies each file byte for byte and records its real SHA-256 and size', () => {
    const sources: Record<string, string> = {
      linux: 'debian-installer/amd64/linux',
      'initrd.gz': 'debian-installer/amd64/initrd.gz',
      'bootnetx64.efi': 'debian-installer/amd64/bootnetx64.efi',
      'grubx64.efi': 'debian-installer/amd64/grubx64.efi',
      'grub/font.pf2': 'debian-installer/amd64/grub/font.pf2',
    };
    expect(image.files.map((file) => file.path)).toEqual(
      Object.keys(sources)
        .sort()
        .map((file) => `images/debian-12-amd64/${file}`),
    );
    for (const file of image.files) {
      const original = path.join(
        DEBIAN_NETBOOT_TREE,
        sources[file.path.replace('images/debian-12-amd64/', '')] ?? '',
      );
      const copy = path.join(fixture.bootRoot, file.path);
      expect(file.sha256).toBe(sha256Of(original));
      expect(file.size).toBe(readFileSync(original).length);
      expect(sha256Of(copy)).toBe(file.sha256);
    }
  });

  it("leaves out the tree's static menus: a static grub.cfg would boot the installer for anyone", () => {
    expect(entries(path.join(fixture.bootRoot, 'images/debian-12-amd64'))).toEqual([
      'bootnetx64.efi',
      'grub',
      'grubx64.efi',
      'image.json',
      'initrd.gz',
      'linux',
    ]);
    expect(entries(path.join(fixture.bootRoot, 'images/debian-12-amd64/grub'))).toEqual(['font.pf2']);
    expect(entries(path.join(fixture.bootRoot, 'debian-installer'))).toEqual([]);
  });

  it("installs the host packages' loaders at the top of the boot root, recorded with their SHA-256", async () => {
    const loaders = await fixture.catalog.loaders();
    expect(loaders.map((loader) => loader.path)).toEqual(HOST_LOADERS.map((loader) => loader.file));
    for (const loader of loaders) {
      expect(loader.sha256).toBe(sha256Of(loader.source));
      expect(sha256Of(path.join(fixture.bootRoot, loader.path))).toBe(loader.sha256);
    }
    // pxelinux.0 and its modules come from the host's syslinux build, not from the netboot tree's copies.
    expect(loaders.find((loader) => loader.path === 'ldlinux.c32')?.source).toBe(
      '/usr/lib/syslinux/modules/bios/ldlinux.c32',
    );
  });

  it('lists and gets the image exactly as the manifest on disk says, and verifies it intact', async () => {
    expect(await fixture.catalog.list()).toEqual([image]);
    expect(await fixture.catalog.get('debian-12-amd64')).toEqual(image);
    const manifest = JSON.parse(
      readFileSync(path.join(fixture.bootRoot, 'images/debian-12-amd64/image.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(manifest).toEqual({ format: 1, ...image });
    expect(await fixture.catalog.verify(image)).toEqual([]);
  });
});
