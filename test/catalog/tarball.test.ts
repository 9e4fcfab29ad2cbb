import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogFixture, DEBIAN_NETBOOT_TREE, entries, sha256Of, type CatalogFixture } from './support.js';

function tar(args: readonly string[]): void {
  execFileSync('tar', [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

describe('importing a netboot tarball', () => {
  let fixture: CatalogFixture;
  beforeAll(() => {
    fixture = catalogFixture();
  });
  afterAll(() => {
    fixture.cleanup();
  });

  it('imports netboot.tar.gz as built from the package tree (same layout, same symlinks)', async () => {
    const tarball = path.join(fixture.dir, 'netboot.tar.gz');
    // gzip -1: the same format as Debian's netboot.tar.gz, in a fraction of the time.
    tar(['--use-compress-program=gzip -1', '-cf', tarball, '-C', DEBIAN_NETBOOT_TREE, '.']);
    const image = await fixture.catalog.import({ source: tarball, name: 'from-tarball' });
    expect(image).toMatchObject({
      family: 'debian',
      release: '12',
      arch: 'amd64',
      kernel: 'images/from-tarball/linux',
      initrds: ['images/from-tarball/initrd.gz'],
      source: tarball,
    });
    const linux = image.files.find((file) => file.path === 'images/from-tarball/linux');
    expect(linux?.sha256).toBe(sha256Of(path.join(DEBIAN_NETBOOT_TREE, 'debian-installer/amd64/linux')));
    // The extraction lived in the import's temp directory and is gone with it.
    expect(entries(path.join(fixture.bootRoot, 'images'))).toEqual(['from-tarball']);
  });

  describe('refuses a hostile tarball, naming the member, and leaves nothing behind', () => {
    let work: string;
    beforeAll(() => {
      work = path.join(fixture.dir, 'hostile');
      mkdirSync(path.join(work, 'inner', 'debian-installer', 'amd64'), { recursive: true });
      writeFileSync(path.join(work, 'inner', 'version.info'), 'Debian version:  12 (bookworm)\n');
      writeFileSync(path.join(work, 'inner', 'debian-installer', 'amd64', 'linux'), 'kernel');
      writeFileSync(path.join(work, 'inner', 'debian-installer', 'amd64', 'initrd.gz'), 'initrd');
      writeFileSync(path.join(work, 'escape.txt'), 'outside');
    });

    it('with a ../ member', async () => {
      const tarball = path.join(fixture.dir, 'dotdot.tar.gz');
      // -P keeps the ../ that tar would otherwise strip when creating.
      tar(['-czPf', tarball, '-C', path.join(work, 'inner'), '.', '../escape.txt']);
      await expect(fixture.catalog.import({ source: tarball, name: 'dotdot' })).rejects.toThrow(
        `${tarball}: member "../escape.txt" would be extracted outside the image directory`,
      );
      expect(existsSync(path.join(fixture.bootRoot, 'images', 'escape.txt'))).toBe(false);
      expect(existsSync(path.join(fixture.bootRoot, 'escape.txt'))).toBe(false);
    });

    it('with an absolute member', async () => {
      const tarball = path.join(fixture.dir, 'absolute.tar');
      tar(['-cPf', tarball, path.join(work, 'escape.txt')]);
      await expect(fixture.catalog.import({ source: tarball, name: 'absolute' })).rejects.toThrow(
        `member "${path.join(work, 'escape.txt')}" would be extracted outside the image directory`,
      );
    });

    it.each([
      ['/etc/shadow', 'absolute'],
      ['../../../../etc/shadow', 'relative'],
    ])('with a symlink to %s (%s)', async (target, kind) => {
      const tree = path.join(fixture.dir, `symlink-${kind}`);
      mkdirSync(path.join(tree, 'debian-installer', 'amd64'), { recursive: true });
      writeFileSync(path.join(tree, 'version.info'), 'Debian version:  12 (bookworm)\n');
      writeFileSync(path.join(tree, 'debian-installer', 'amd64', 'linux'), 'kernel');
      // The installer's initrd as a link to a secret: it would be published to the whole network.
      symlinkSync(target, path.join(tree, 'debian-installer', 'amd64', 'initrd.gz'));
      const tarball = path.join(fixture.dir, `symlink-${kind}.tar.gz`);
      tar(['-czf', tarball, '-C', tree, '.']);
      await expect(fixture.catalog.import({ source: tarball, name: `symlink-${kind}` })).rejects.toThrow(
        `${tarball}: symlink "debian-installer/amd64/initrd.gz" -> "${target}" points outside the image directory`,
      );
    });

    it('and nothing of the refused imports is visible or left over', async () => {
      expect((await fixture.catalog.list()).map((image) => image.name)).toEqual(['from-tarball']);
      expect(entries(path.join(fixture.bootRoot, 'images'))).toEqual(['from-tarball']);
    });
  });

  it('says what it expected of a file that is neither a tarball nor an ISO', async () => {
    const text = path.join(fixture.dir, 'notes.txt');
    writeFileSync(text, 'hello');
    await expect(fixture.catalog.import({ source: text })).rejects.toThrow(
      `${text}: not an ISO 9660 image or a tarball (expected a netboot tree, netboot.tar.gz, an .iso or a mounted ISO)`,
    );
  });
});
