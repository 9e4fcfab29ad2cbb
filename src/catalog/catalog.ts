// The OS image catalog (issue 5 item 1): imports installers into `<bootRoot>/images/<name>/`, installs the shared
// loaders at the top of the boot root, and answers which images exist. The files are the truth: an image exists
// exactly when its directory holds a valid image.json, and an import becomes visible in one rename.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LoaderKind, OsArch, OsFamily, OsImageFile } from '../inventory/os-image.js';
import type { Logger } from '../observability/logger.js';
import { detectLayout, LayoutError, type ImageLayout } from './detect.js';
import { CatalogError } from './errors.js';
import {
  fsyncDir,
  fsyncTree,
  hashFile,
  hasCode,
  isDirectory,
  cloneOrCopyHashed,
  listFiles,
  publishTree,
  removeTree,
  tempFileWriter,
  writeFileAtomic,
  type FileDigest,
} from './files.js';
import {
  HOST_LOADERS,
  installLoaders,
  readLoaders,
  sharedLoaderKinds,
  type HostLoader,
  type LoaderRecord,
} from './loaders.js';
import {
  MANIFEST_FILE,
  ManifestError,
  parseManifest,
  serializeManifest,
  type CatalogImage,
  type ExternalSource,
} from './manifest.js';
import { defaultImageName, imageNameProblem, isImageName } from './names.js';
import {
  DirectoryTree,
  extractTarball,
  IsoFile,
  looksLikeIso,
  looksLikeTarball,
  loopBackingFile,
  SourceError,
  type SourceTree,
} from './sources.js';

export type { CatalogImage, ExternalSource } from './manifest.js';
export { CatalogError } from './errors.js';

/** The directory TFTP and HTTP serve boot files from: `<dataDir>/boot`. */
export function bootRootOf(dataDir: string): string {
  return path.join(dataDir, 'boot');
}

export const IMAGES_DIR = 'images';

export interface ImportRequest {
  /** A Debian netboot tree, a netboot tarball, a mounted ISO (or any install tree) or an .iso file. */
  readonly source: string;
  /** Default: `<distribution>-<release>-<arch>`, e.g. `debian-12-amd64`. */
  readonly name?: string;
  readonly family?: OsFamily;
  readonly release?: string;
  readonly arch?: OsArch;
  /** Replace an existing image of the same name (otherwise refused). */
  readonly replace?: boolean;
}

export interface CatalogOptions {
  readonly bootRoot: string;
  readonly logger: Logger;
  readonly now: () => number;
  /** The shared loaders to install; the host's Debian packages by default. */
  readonly hostLoaders?: readonly HostLoader[];
}

/** One file of an image that no longer matches its manifest. */
export interface VerifyProblem {
  readonly path: string;
  readonly problem: string;
}

const TEMP_PREFIX = '.import-';
const TRASH_PREFIX = '.trash-';

export class Catalog {
  private readonly bootRoot: string;
  private readonly imagesDir: string;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly hostLoaders: readonly HostLoader[];
  private readonly parsed = new Map<
    string,
    | { version: string; image: CatalogImage; error?: undefined }
    | { version: string; image?: undefined; error: ManifestError }
  >();

  constructor(options: CatalogOptions) {
    this.bootRoot = path.resolve(options.bootRoot);
    this.imagesDir = path.join(this.bootRoot, IMAGES_DIR);
    this.logger = options.logger;
    this.now = options.now;
    this.hostLoaders = options.hostLoaders ?? HOST_LOADERS;
  }

  /** Every valid image, by name. A directory with a missing or broken manifest is skipped with a warning. */
  async list(): Promise<CatalogImage[]> {
    let entries: string[];
    try {
      entries = await readdir(this.imagesDir);
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return [];
      throw error;
    }
    const images: CatalogImage[] = [];
    for (const name of entries.filter(isImageName).sort()) {
      try {
        const image = await this.read(name);
        if (image !== undefined) images.push(image);
      } catch (error) {
        if (!(error instanceof ManifestError)) throw error;
        // Once per version of the broken manifest, not on every boot decision that lists the images.
        if (!(error instanceof StaleManifestError)) {
          this.logger.warn({ image: name, err: error.message }, 'image skipped: its manifest is invalid');
        }
      }
    }
    return images;
  }

  /**
   * The install trees of valid images served from outside the boot root (RHEL-like trees imported as directories),
   * for `/boot/` to serve each under its `path` (provision/http-boot-files.ts).
   */
  async externalSources(): Promise<ExternalSource[]> {
    return (await this.list()).flatMap((image) => image.externalSource ?? []);
  }

  /** The image named `name`, or undefined (also for a name that could not be one). A broken manifest throws. */
  async get(name: string): Promise<CatalogImage | undefined> {
    if (!isImageName(name)) return undefined;
    return this.read(name);
  }

  /** The shared loaders at the top of the boot root, as the last import installed them. */
  loaders(): Promise<LoaderRecord[]> {
    return readLoaders(this.bootRoot);
  }

  /**
   * Imports an installer. Built in a temp directory inside the boot root, every file fsynced and hashed, the
   * manifest written last, then renamed into place: a failure or crash at any point leaves no image that list/get
   * would show, and the temp directory of a crashed import is removed by the next import.
   */
  async import(request: ImportRequest): Promise<CatalogImage> {
    if (request.name !== undefined) this.checkName(request.name);
    const source = path.resolve(request.source);
    await mkdir(this.imagesDir, { recursive: true, mode: 0o755 });
    await this.removeLeftovers();
    const temp = path.join(this.imagesDir, `${TEMP_PREFIX}${String(process.pid)}-${randomSuffix()}`);
    await mkdir(temp, { mode: 0o755 });
    try {
      const imageDir = path.join(temp, 'image');
      const scratch = path.join(temp, 'source');
      await mkdir(imageDir, { mode: 0o755 });
      await mkdir(scratch, { mode: 0o700 });
      const tree = await this.openSource(source, request.source, scratch);
      const layout = await this.layoutOf(tree, source, request);
      const name = request.name ?? defaultImageName(layout.distribution, layout.release, layout.arch);
      this.checkName(name);
      const target = path.join(this.imagesDir, name);
      if (request.replace !== true && (await isDirectory(target))) {
        throw new CatalogError(`image ${name} exists (${target}): remove it first or import with --replace`);
      }
      this.logger.info({ image: name, source: request.source, kind: tree.kind }, 'importing OS image');
      const digests = await tree.fetch(layout.files, imageDir);
      const installSource = await this.installSource(tree, layout, name, imageDir, digests);
      const shared = await installLoaders(this.bootRoot, this.hostLoaders, this.now());
      const image = this.manifestOf(name, layout, digests, installSource, request.source, shared);
      await writeFileAtomic(path.join(imageDir, MANIFEST_FILE), serializeManifest(image));
      await publishTree(imageDir);
      await fsyncTree(imageDir);
      await this.commit(imageDir, target, name, request.replace === true);
      this.logger.info(
        {
          image: name,
          family: image.family,
          release: image.release,
          arch: image.arch,
          files: image.files.length,
        },
        'imported OS image',
      );
      return image;
    } finally {
      await removeTree(temp);
    }
  }

  /** Removes an image; false when there is none of that name. The shared loaders stay (other images use them). */
  async remove(name: string): Promise<boolean> {
    if (!isImageName(name)) return false;
    const target = path.join(this.imagesDir, name);
    if (!(await isDirectory(target))) return false;
    // Renamed away first, so the image disappears in one step even if deleting its files is interrupted.
    const trash = path.join(this.imagesDir, `${TRASH_PREFIX}${String(process.pid)}-${randomSuffix()}`);
    await rename(target, trash);
    await fsyncDir(this.imagesDir);
    await removeTree(trash);
    this.logger.info({ image: name }, 'removed OS image');
    return true;
  }

  /** Re-hashes every file of an image against its manifest; an empty list means intact. */
  async verify(image: CatalogImage): Promise<VerifyProblem[]> {
    const problems: VerifyProblem[] = [];
    const check = async (file: OsImageFile): Promise<void> => {
      let actual: FileDigest;
      try {
        actual = await hashFile(path.join(this.bootRoot, file.path));
      } catch (error) {
        if (!hasCode(error, 'ENOENT')) throw error;
        problems.push({ path: file.path, problem: 'missing' });
        return;
      }
      if (actual.size !== file.size || actual.sha256 !== file.sha256) {
        problems.push({
          path: file.path,
          problem: `sha256 ${actual.sha256} (${String(actual.size)} bytes), manifest says ${file.sha256} (${String(file.size)} bytes)`,
        });
      }
    };
    for (const file of image.files) await check(file);
    for (const loader of await this.loaders()) await check(loader);
    return problems;
  }

  /**
   * Reads a manifest, parsed once per version: the boot policy lists the images for every boot decision, and a
   * manifest only ever changes by a rename (a new inode), so device, inode, size and mtime identify its content.
   */
  private async read(name: string): Promise<CatalogImage | undefined> {
    const file = path.join(this.imagesDir, name, MANIFEST_FILE);
    let version: string;
    let text: string;
    try {
      const info = await stat(file);
      version = `${String(info.dev)}:${String(info.ino)}:${String(info.size)}:${String(info.mtimeMs)}`;
      const cached = this.parsed.get(name);
      if (cached?.version === version) {
        if (cached.image === undefined) throw cached.error;
        return cached.image;
      }
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (hasCode(error, 'ENOENT', 'ENOTDIR')) {
        this.parsed.delete(name);
        return undefined;
      }
      throw error;
    }
    try {
      const image = parseManifest(text, file, name);
      this.parsed.set(name, { version, image });
      return image;
    } catch (error) {
      if (error instanceof ManifestError)
        this.parsed.set(name, { version, error: new StaleManifestError(error) });
      throw error;
    }
  }

  private checkName(name: string): void {
    const problem = imageNameProblem(name);
    if (problem !== undefined) throw new CatalogError(problem);
  }

  private async openSource(source: string, given: string, scratch: string): Promise<SourceTree> {
    let info;
    try {
      info = await stat(source);
    } catch (error) {
      if (hasCode(error, 'ENOENT', 'ENOTDIR')) {
        throw new CatalogError(
          `${given}: no such file or directory (expected a netboot tree, netboot tarball, ISO or mounted ISO)`,
        );
      }
      throw error;
    }
    if (info.isDirectory()) return new DirectoryTree(given, await realpath(source));
    if (!info.isFile()) throw new CatalogError(`${given}: not a directory or a regular file`);
    if (await looksLikeIso(source)) return new IsoFile(given, await realpath(source), scratch);
    if (await looksLikeTarball(source)) {
      await extractTarball(source, scratch);
      return new DirectoryTree(given, scratch, true);
    }
    throw new CatalogError(
      `${given}: not an ISO 9660 image or a tarball (expected a netboot tree, netboot.tar.gz, an .iso or a mounted ISO)`,
    );
  }

  /**
   * The layout of a source. Debian's package installs two trees side by side under
   * `/usr/lib/debian-installer/images/<N>/<arch>/` (`text` and `gtk`); pointed at their parent, the error says so.
   */
  private async layoutOf(tree: SourceTree, source: string, request: ImportRequest): Promise<ImageLayout> {
    try {
      return detectLayout(await tree.probe(), request);
    } catch (error) {
      if (!(error instanceof LayoutError) || tree.kind !== 'directory') throw error;
      const flavours: string[] = [];
      for (const flavour of ['text', 'gtk']) {
        if (await isDirectory(path.join(source, flavour, 'debian-installer')))
          flavours.push(path.join(tree.source, flavour));
      }
      if (flavours.length === 0) throw error;
      throw new LayoutError(
        `${error.message}; a Debian netboot tree is one level down: ${flavours.join(' or ')}`,
      );
    }
  }

  /**
   * The installer's own source, when it needs one: Ubuntu's ISO (reflinked into the image directory where the
   * filesystem can, copied otherwise; never hard-linked, which the served roots refuse), a RHEL-like tree
   * (extracted from an ISO; from a directory, recorded as an external root rather than copied).
   */
  private async installSource(
    tree: SourceTree,
    layout: ImageLayout,
    name: string,
    imageDir: string,
    digests: Map<string, FileDigest>,
  ): Promise<{ path: string; external?: string } | undefined> {
    if (layout.installSource === undefined) return undefined;
    if (layout.installSource === 'iso') {
      const iso = tree instanceof IsoFile ? tree.file : await loopBackingFile(path.resolve(tree.source));
      if (iso === undefined) {
        throw new CatalogError(
          `${tree.source}: ${layout.distribution}'s installer fetches the ISO itself (casper url=), and this ` +
            'directory is not a loop-mounted ISO: import the .iso file instead',
        );
      }
      const file = `${name}.iso`;
      digests.set(file, await cloneOrCopyHashed(iso, path.join(imageDir, file)));
      return { path: file };
    }
    if (tree instanceof IsoFile) {
      await tree.extractAll(path.join(imageDir, 'tree'));
      for (const file of await listFiles(imageDir, 'tree')) {
        digests.set(file, await hashFile(path.join(imageDir, file)));
      }
      return { path: 'tree' };
    }
    if (tree.kind === 'directory') return { path: 'tree', external: await realpath(tree.source) };
    throw new SourceError(
      `${tree.source}: a ${layout.distribution} install tree comes as an ISO or a directory`,
    );
  }

  private manifestOf(
    name: string,
    layout: ImageLayout,
    digests: Map<string, FileDigest>,
    installSource: { path: string; external?: string } | undefined,
    source: string,
    shared: readonly LoaderRecord[],
  ): CatalogImage {
    const inImage = (file: string): string => `${IMAGES_DIR}/${name}/${file}`;
    const installed = new Set(shared.map((loader) => loader.path));
    const loaders: Partial<Record<LoaderKind, string>> = {};
    for (const [kind, file] of Object.entries(sharedLoaderKinds(this.hostLoaders, layout.arch))) {
      if (installed.has(file)) loaders[kind as LoaderKind] = file;
    }
    // A loader the source did not have (optional in the layout) is not offered.
    for (const [kind, file] of Object.entries(layout.loaders)) {
      if (digests.has(file)) loaders[kind as LoaderKind] = inImage(file);
    }
    return {
      name,
      family: layout.family,
      release: layout.release,
      arch: layout.arch,
      kernel: inImage(layout.kernel),
      initrds: layout.initrds.map(inImage),
      ...(installSource === undefined ? {} : { installSource: inImage(installSource.path) }),
      loaders,
      files: [...digests.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([file, digest]) => ({ path: inImage(file), ...digest })),
      source,
      importedAt: this.now(),
      ...(layout.grubPrefix === undefined ? {} : { grubPrefix: layout.grubPrefix }),
      ...(installSource?.external === undefined
        ? {}
        : { externalSource: { path: inImage(installSource.path), directory: installSource.external } }),
    };
  }

  /**
   * Makes the built image visible in one rename. Replacing moves the old one aside first; between the two renames
   * (microseconds) the name is absent, and a transfer already reading an old file keeps its open file.
   */
  private async commit(imageDir: string, target: string, name: string, replace: boolean): Promise<void> {
    let old: string | undefined;
    if (replace && (await isDirectory(target))) {
      old = path.join(this.imagesDir, `${TRASH_PREFIX}${String(process.pid)}-${randomSuffix()}`);
      await rename(target, old);
    }
    try {
      await rename(imageDir, target);
    } catch (error) {
      if (old !== undefined) await rename(old, target);
      if (hasCode(error, 'ENOTEMPTY', 'EEXIST')) {
        throw new CatalogError(`image ${name} exists (${target}): remove it first or import with --replace`);
      }
      throw error;
    }
    await fsyncDir(this.imagesDir);
    if (old !== undefined) await removeTree(old);
  }

  /**
   * Removes what crashed imports and removals left (their process is gone): temp and trash directories under
   * `images/`, and half-written loader or manifest files at the top of the boot root.
   */
  private async removeLeftovers(): Promise<void> {
    for (const entry of await readdir(this.imagesDir)) {
      const match = /^\.(?:import|trash)-(\d+)-/.exec(entry);
      if (match === null || processAlive(Number(match[1]))) continue;
      this.logger.info({ directory: entry }, 'removing the leftover of an interrupted import');
      await removeTree(path.join(this.imagesDir, entry));
    }
    for (const entry of await readdir(this.bootRoot)) {
      const writer = tempFileWriter(entry);
      if (writer === undefined || processAlive(writer)) continue;
      this.logger.info({ file: entry }, 'removing the leftover of an interrupted import');
      await rm(path.join(this.bootRoot, entry), { force: true });
    }
  }
}

/** A manifest error already reported for this version of the file. */
class StaleManifestError extends ManifestError {
  constructor(original: ManifestError) {
    super(original.message);
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !hasCode(error, 'ESRCH');
  }
}

function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}
