import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, constants, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Catalog, CatalogError } from '../../src/catalog/catalog.js';
import { HOST_LOADERS } from '../../src/catalog/loaders.js';
import { imageNameProblem } from '../../src/catalog/names.js';
import { memoryLogger } from '../support/logger.js';
import { catalogFixture, entries, IMPORTED_AT, writeTree, type CatalogFixture } from './support.js';

/** A netboot tree laid out like Debian's, with small stand-in files, for the catalog's own behaviour. */
function smallNetbootTree(root: string, release = '12'): string {
  return writeTree(root, {
    'version.info': `Debian version:  ${release} (bookworm)\nInstaller build: 20230607+deb12u15\n`,
    'debian-installer/amd64/linux': 'kernel bytes',
    'debian-installer/amd64/initrd.gz': 'initrd bytes',
    'debian-installer/amd64/bootnetx64.efi': 'shim bytes',
    'debian-installer/amd64/grubx64.efi': 'grub bytes',
  });
}

/** The pid of a process that has exited: what a crashed import's temp directory carries. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

describe('Catalog', () => {
  let fixture: CatalogFixture;
  let tree: string;
  beforeEach(() => {
    fixture = catalogFixture();
    tree = smallNetbootTree(path.join(fixture.dir, 'tree'));
  });
  afterEach(() => {
    fixture.cleanup();
  });

  it('is empty before the first import', async () => {
    expect(await fixture.catalog.list()).toEqual([]);
    expect(await fixture.catalog.get('debian-12-amd64')).toBeUndefined();
    expect(await fixture.catalog.loaders()).toEqual([]);
  });

  it('imports under a chosen name and refuses to overwrite it without replace', async () => {
    const first = await fixture.catalog.import({ source: tree, name: 'bookworm' });
    expect(first.kernel).toBe('images/bookworm/linux');
    await expect(fixture.catalog.import({ source: tree, name: 'bookworm' })).rejects.toThrow(
      /image bookworm exists .*: remove it first or import with --replace/,
    );
    expect(await fixture.catalog.list()).toEqual([first]);
  });

  it('replaces an image in one step with replace, leaving no trace of the old one', async () => {
    await fixture.catalog.import({ source: tree, name: 'bookworm' });
    writeFileSync(path.join(tree, 'debian-installer/amd64/linux'), 'a newer kernel');
    const second = await fixture.catalog.import({ source: tree, name: 'bookworm', replace: true });
    expect(second.files.find((file) => file.path === 'images/bookworm/linux')?.size).toBe(14);
    expect(await fixture.catalog.list()).toEqual([second]);
    expect(entries(path.join(fixture.bootRoot, 'images'))).toEqual(['bookworm']);
  });

  it('parses a manifest once per version: the same object until the image is replaced', async () => {
    await fixture.catalog.import({ source: tree, name: 'bookworm' });
    const first = await fixture.catalog.get('bookworm');
    expect(await fixture.catalog.get('bookworm')).toBe(first);
    expect((await fixture.catalog.list())[0]).toBe(first);
    const replaced = await fixture.catalog.import({
      source: tree,
      name: 'bookworm',
      replace: true,
      release: '12.9',
    });
    const after = await fixture.catalog.get('bookworm');
    expect(after).not.toBe(first);
    expect(after).toEqual(replaced);
    expect(after?.release).toBe('12.9');
  });

  it('removes an image and its files, keeping the shared loaders', async () => {
    await fixture.catalog.import({ source: tree });
    expect(await fixture.catalog.remove('debian-12-amd64')).toBe(true);
    expect(await fixture.catalog.remove('debian-12-amd64')).toBe(false);
    expect(await fixture.catalog.list()).toEqual([]);
    expect(entries(path.join(fixture.bootRoot, 'images'))).toEqual([]);
    expect(entries(fixture.bootRoot)).toContain('pxelinux.0');
  });

  it.each([
    ['Debian-12', /lower-case letters/],
    ['../etc', /lower-case letters/],
    ['.hidden', /lower-case letters/],
    ['-x', /lower-case letters/],
    ['a/b', /lower-case letters/],
    ['a b', /lower-case letters/],
    ['', /empty/],
    ['x'.repeat(64), /longer than 63/],
  ])('refuses the image name %j', async (name, reason) => {
    expect(imageNameProblem(name)).toMatch(reason);
    await expect(fixture.catalog.import({ source: tree, name })).rejects.toThrow(CatalogError);
    expect(await fixture.catalog.get(name)).toBeUndefined();
    expect(await fixture.catalog.remove(name)).toBe(false);
    expect(entries(path.join(fixture.bootRoot, 'images'))).toEqual([]);
  });

  it.each(['debian-12-amd64', 'rocky-9.4-amd64', '0', 'a.b-c'])('accepts the image name %j', (name) => {
    expect(imageNameProblem(name)).toBeUndefined();
  });

  it('leaves nothing when an import fails midway (files copied, a loader missing)', async () => {
    const { logger } = memoryLogger();
    const catalog = new Catalog({
      bootRoot: fixture.bootRoot,
      logger,
      now: () => IMPORTED_AT,
      hostLoaders: [...HOST_LOADERS, { file: 'gone.efi', from: '/nonexistent/gone.efi', package: 'gone' }],
    });
    await expect(catalog.import({ source: tree })).rejects.toThrow(
      "/nonexistent/gone.efi not found: install Debian's gone package",
    );
    expect(await catalog.list()).toEqual([]);
    expect(entries(path.join(fixture.bootRoot, 'images'))).toEqual([]);
    // Nothing of the failed import replaced a loader either.
    expect(entries(fixture.bootRoot)).toEqual(['images']);
  });

  it('names the missing file when the source lacks a required one', async () => {
    const broken = writeTree(path.join(fixture.dir, 'broken'), {
      'version.info': 'Debian version:  12 (bookworm)\n',
      'debian-installer/amd64/linux': 'kernel',
    });
    await expect(fixture.catalog.import({ source: broken })).rejects.toThrow(
      `${broken}/debian-installer/amd64/initrd.gz: not found`,
    );
    expect(entries(path.join(fixture.bootRoot, 'images'))).toEqual([]);
  });

  it('says what it expected when a source holds no kernel', async () => {
    const empty = writeTree(path.join(fixture.dir, 'empty'), { 'README.txt': 'nothing to boot' });
    await expect(fixture.catalog.import({ source: empty })).rejects.toThrow(
      `no kernel found under ${empty}: expected debian-installer/<arch>/linux (a Debian netboot tree), ` +
        'install.amd/vmlinuz, casper/vmlinuz or images/pxeboot/vmlinuz',
    );
    await expect(fixture.catalog.import({ source: path.join(fixture.dir, 'nowhere') })).rejects.toThrow(
      /nowhere: no such file or directory/,
    );
  });

  it("points one level down when given the parent of Debian's text and gtk trees", async () => {
    const parent = path.join(fixture.dir, 'images-12-amd64');
    smallNetbootTree(path.join(parent, 'text'));
    smallNetbootTree(path.join(parent, 'gtk'));
    await expect(fixture.catalog.import({ source: parent })).rejects.toThrow(
      `; a Debian netboot tree is one level down: ${parent}/text or ${parent}/gtk`,
    );
  });

  it('never shows a crashed import, and the next import removes what it left', async () => {
    const leftover = path.join(fixture.bootRoot, 'images', `.import-${String(deadPid())}-0badc0de`);
    // A crash after the manifest was written but before the rename: complete-looking, yet not an image.
    smallNetbootTree(path.join(leftover, 'image'));
    writeFileSync(path.join(leftover, 'image', 'image.json'), '{"format":1,"name":"debian-12-amd64"}');
    // …and a loader it was writing when it crashed.
    const halfLoader = path.join(fixture.bootRoot, `.pxelinux.0.tmp-${String(deadPid())}`);
    writeFileSync(halfLoader, 'half a loader');
    expect(await fixture.catalog.list()).toEqual([]);
    expect(await fixture.catalog.get('debian-12-amd64')).toBeUndefined();
    await fixture.catalog.import({ source: tree });
    expect(entries(path.join(fixture.bootRoot, 'images'))).toEqual(['debian-12-amd64']);
    expect(
      fixture.lines().some((line) => line.msg === 'removing the leftover of an interrupted import'),
    ).toBe(true);
  });

  it('skips an image whose manifest is broken, with a warning, and get says why', async () => {
    await fixture.catalog.import({ source: tree });
    const dir = path.join(fixture.bootRoot, 'images', 'evil');
    mkdirSync(dir);
    const image = await fixture.catalog.get('debian-12-amd64');
    writeFileSync(
      path.join(dir, 'image.json'),
      JSON.stringify({ format: 1, ...image, name: 'evil', kernel: '../../../etc/shadow' }),
    );
    expect((await fixture.catalog.list()).map((listed) => listed.name)).toEqual(['debian-12-amd64']);
    expect((await fixture.catalog.list()).map((listed) => listed.name)).toEqual(['debian-12-amd64']);
    const warnings = fixture.lines().filter((line) => line.image === 'evil');
    // Once, not on every listing: the boot policy lists the images for each boot decision.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.err).toMatch(/kernel: expected a path relative to the boot root/);
    await expect(fixture.catalog.get('evil')).rejects.toThrow(/evil\/image\.json: kernel/);
  });

  it('publishes every file world-readable whatever the umask (TFTP serves nothing else)', async () => {
    chmodSync(path.join(tree, 'debian-installer/amd64/linux'), 0o600);
    const previous = process.umask(0o077);
    try {
      await fixture.catalog.import({ source: tree });
    } finally {
      process.umask(previous);
    }
    const unreadable = [
      ...entries(fixture.bootRoot).filter((name) => name !== 'images'),
      ...entries(path.join(fixture.bootRoot, 'images/debian-12-amd64')).map(
        (name) => `images/debian-12-amd64/${name}`,
      ),
    ].filter((name) => (statSync(path.join(fixture.bootRoot, name)).mode & constants.S_IROTH) === 0);
    expect(unreadable).toEqual([]);
  });

  it('verify finds a file changed or removed after the import', async () => {
    const image = await fixture.catalog.import({ source: tree });
    appendFileSync(path.join(fixture.bootRoot, 'images/debian-12-amd64/linux'), '!');
    rmSync(path.join(fixture.bootRoot, 'images/debian-12-amd64/initrd.gz'));
    const problems = await fixture.catalog.verify(image);
    expect(problems.map((problem) => problem.path)).toEqual([
      'images/debian-12-amd64/initrd.gz',
      'images/debian-12-amd64/linux',
    ]);
    expect(problems[0]?.problem).toBe('missing');
    expect(problems[1]?.problem).toMatch(
      /^sha256 [0-9a-f]{64} \(13 bytes\), manifest says [0-9a-f]{64} \(12 bytes\)$/,
    );
  });
});
