// Where an import reads from: a directory (Debian's netboot tree, a mounted ISO, a RHEL-like install tree), a netboot
// tarball (extracted by the host's tar into the import's temp directory) or an ISO file (read with xorriso). Each
// answers the same three questions: which probe files exist, what the info files say, and "put these files there".
import { CatalogError } from './errors.js';
import { lstat, mkdir, open, readdir, readFile, readlink, realpath, rename } from 'node:fs/promises';
import path from 'node:path';
import { INFO_PATHS, PROBE_PATHS, type PlannedFile, type SourceProbe } from './detect.js';
import { copyHashed, exists, hasCode, hashFile, type FileDigest } from './files.js';
import { runTool } from './tools.js';

export class SourceError extends CatalogError {
  override readonly name = 'SourceError';
}

export interface SourceTree {
  /** The source as the operator named it. */
  readonly source: string;
  readonly kind: 'directory' | 'tarball' | 'iso';
  probe(): Promise<SourceProbe>;
  /** Puts each present file at `<imageDir>/<to>`; returns the digests by `to`. A missing required file throws. */
  fetch(files: readonly PlannedFile[], imageDir: string): Promise<Map<string, FileDigest>>;
}

/** Info files above this size are not what they claim to be. */
const INFO_MAX_BYTES = 64 * 1024;

/** An installer tree on disk. Every file taken from it must resolve (symlinks followed) inside its root. */
export class DirectoryTree implements SourceTree {
  readonly kind: 'directory' | 'tarball';

  constructor(
    readonly source: string,
    private readonly root: string,
    /** The tree is the import's own extraction: files are moved, not copied. */
    private readonly owned = false,
  ) {
    this.kind = owned ? 'tarball' : 'directory';
  }

  async probe(): Promise<SourceProbe> {
    const present = new Set<string>();
    for (const candidate of PROBE_PATHS) {
      if ((await this.resolve(candidate)) !== undefined) present.add(candidate);
    }
    const info: Partial<Record<(typeof INFO_PATHS)[number], string>> = {};
    for (const name of INFO_PATHS) {
      const file = await this.resolve(name);
      if (file !== undefined) info[name] = await readSmallText(file);
    }
    return { source: this.source, present, info };
  }

  async fetch(files: readonly PlannedFile[], imageDir: string): Promise<Map<string, FileDigest>> {
    const digests = new Map<string, FileDigest>();
    for (const file of files) {
      const from = await this.resolve(file.from);
      if (from === undefined) {
        if (file.optional === true) continue;
        throw new SourceError(
          `${path.join(this.source, file.from)}: not found (a required file of this layout)`,
        );
      }
      const to = path.join(imageDir, file.to);
      if (this.owned) {
        await mkdir(path.dirname(to), { recursive: true });
        await rename(from, to);
        digests.set(file.to, await hashFile(to));
      } else {
        digests.set(file.to, await copyHashed(from, to));
      }
    }
    return digests;
  }

  /**
   * The real path of `relative` when it is a regular file inside the root, else undefined. A symlink that leaves
   * the root (an absolute target, `../` past the top) is refused with an error naming it: the boot root is served
   * to anyone on the network, and a tarball must not be able to publish /etc/shadow.
   */
  private async resolve(relative: string): Promise<string | undefined> {
    const candidate = path.join(this.root, relative);
    let real: string;
    try {
      real = await realpath(candidate);
    } catch (error) {
      if (hasCode(error, 'ENOENT', 'ENOTDIR', 'ELOOP')) return undefined;
      throw error;
    }
    if (!isInside(await realpath(this.root), real)) {
      throw new SourceError(
        `${path.join(this.source, relative)}: resolves to ${real}, outside ${this.source}`,
      );
    }
    return (await lstat(real)).isFile() ? real : undefined;
  }
}

/** An ISO 9660 image read with xorriso (`-osirrox on`: Rock Ridge names), never mounted. */
export class IsoFile implements SourceTree {
  readonly kind = 'iso';
  private listing: Set<string> | undefined;

  constructor(
    readonly source: string,
    readonly file: string,
    /** Scratch space inside the import's temp directory. */
    private readonly scratch: string,
  ) {}

  async probe(): Promise<SourceProbe> {
    const files = await this.files();
    const present = new Set(PROBE_PATHS.filter((candidate) => files.has(candidate)));
    const wanted = INFO_PATHS.filter((name) => files.has(name));
    const info: Partial<Record<(typeof INFO_PATHS)[number], string>> = {};
    if (wanted.length > 0) {
      await this.extract(wanted.map((name) => [name, path.join(this.scratch, 'info', name)] as const));
      for (const name of wanted) info[name] = await readSmallText(path.join(this.scratch, 'info', name));
    }
    return { source: this.source, present, info };
  }

  async fetch(files: readonly PlannedFile[], imageDir: string): Promise<Map<string, FileDigest>> {
    const listing = await this.files();
    const present = files.filter((file) => listing.has(file.from));
    const absent = files.find((file) => file.optional !== true && !listing.has(file.from));
    if (absent !== undefined) {
      throw new SourceError(
        `${this.source}: /${absent.from} not found in the ISO (a required file of this layout)`,
      );
    }
    await this.extract(present.map((file) => [file.from, path.join(imageDir, file.to)] as const));
    const digests = new Map<string, FileDigest>();
    for (const file of present) {
      const to = path.join(imageDir, file.to);
      // Rock Ridge can make any name a symlink; hashing and serving would follow it out of the image.
      if (!(await lstat(to)).isFile()) {
        throw new SourceError(`${this.source}: /${file.from} in the ISO is not a regular file`);
      }
      digests.set(file.to, await hashFile(to));
    }
    return digests;
  }

  /** Extracts the whole ISO into `dir` (a RHEL-like install tree served over HTTP as `inst.repo=`). */
  async extractAll(dir: string): Promise<void> {
    await runTool('xorriso', ['-osirrox', 'on', '-indev', this.file, '-extract', '/', dir], {
      timeoutMs: 60 * 60_000,
    });
    await refuseEscapingSymlinks(this.source, dir);
  }

  /** Every file of the ISO, relative and `/`-separated. */
  async files(): Promise<Set<string>> {
    if (this.listing === undefined) {
      const out = await runTool('xorriso', ['-indev', this.file, '-find', '/', '-type', 'f'], {
        timeoutMs: 5 * 60_000,
        maxOutputBytes: 64 << 20,
      });
      this.listing = new Set(
        out
          .split('\n')
          .map(unquoteXorriso)
          .filter((name): name is string => name !== undefined)
          .map((name) => name.replace(/^\/+/, '')),
      );
    }
    return this.listing;
  }

  private async extract(pairs: readonly (readonly [string, string])[]): Promise<void> {
    for (const [, to] of pairs) await mkdir(path.dirname(to), { recursive: true });
    await runTool(
      'xorriso',
      ['-osirrox', 'on', '-indev', this.file, ...pairs.flatMap(([from, to]) => ['-extract', `/${from}`, to])],
      { timeoutMs: 10 * 60_000 },
    );
  }
}

/** xorriso prints names as shell words in single quotes, a quote inside as `'"'"'`. */
function unquoteXorriso(line: string): string | undefined {
  const match = /^'(.*)'$/.exec(line.trim());
  return match?.[1]?.split(`'"'"'`).join("'");
}

/**
 * Lists a tarball with the host's tar and refuses any member that would land outside the extraction directory (an
 * absolute name or a `..` component), naming it. GNU tar would strip or skip such members itself; refusing the whole
 * tarball is clearer than importing what is left of it.
 */
export async function checkTarballMembers(tarball: string): Promise<void> {
  const out = await runTool('tar', ['--list', '--quoting-style=escape', '-f', tarball], {
    timeoutMs: 5 * 60_000,
    maxOutputBytes: 64 << 20,
  });
  for (const name of out.split('\n')) {
    if (name === '') continue;
    if (name.startsWith('/') || name.split('/').includes('..')) {
      throw new SourceError(`${tarball}: member "${name}" would be extracted outside the image directory`);
    }
  }
}

/** Extracts a checked tarball into `dir` (compression detected by tar), then refuses symlinks that leave `dir`. */
export async function extractTarball(tarball: string, dir: string): Promise<void> {
  await checkTarballMembers(tarball);
  await runTool('tar', ['-x', '-f', tarball, '-C', dir, '--no-same-owner', '--no-same-permissions'], {
    timeoutMs: 10 * 60_000,
  });
  await refuseEscapingSymlinks(tarball, dir);
}

/**
 * Refuses a tree extracted from `source` (a tarball, an ISO) that holds a symlink leaving it: an absolute target or
 * one that climbs past the top. The boot root is served to the network; a link must not publish the host's files.
 */
export async function refuseEscapingSymlinks(source: string, root: string, relative = ''): Promise<void> {
  for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
    const member = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) await refuseEscapingSymlinks(source, root, member);
    if (!entry.isSymbolicLink()) continue;
    const target = await readlink(path.join(root, member));
    const resolved = path.resolve(path.dirname(path.join(root, member)), target);
    if (path.isAbsolute(target) || !isInside(root, resolved)) {
      throw new SourceError(
        `${source}: symlink "${member}" -> "${target}" points outside the image directory`,
      );
    }
  }
}

/** Whether the first bytes are a gzip, xz, bzip2, zstd or ustar tar header, or the name says tarball. */
export async function looksLikeTarball(file: string): Promise<boolean> {
  if (/\.(tar|tar\.gz|tgz|tar\.xz|txz|tar\.bz2|tar\.zst)$/i.test(file)) return true;
  const head = await readHead(file, 265);
  if (head[0] === 0x1f && head[1] === 0x8b) return true; // gzip
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true; // xz
  return head.subarray(257, 262).toString('latin1') === 'ustar';
}

/** ISO 9660: the primary volume descriptor's `CD001` at byte 32769 (ECMA-119 §8.4). */
export async function looksLikeIso(file: string): Promise<boolean> {
  const head = await readHead(file, 32774);
  return head.subarray(32769, 32774).toString('latin1') === 'CD001';
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function readSmallText(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(INFO_MAX_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, INFO_MAX_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The ISO file a directory is loop-mounted from (`mount -o loop x.iso /mnt`): the mount at exactly `dir`, whose
 * source is /dev/loopN, and that loop device's backing file. Undefined when `dir` is not such a mount.
 */
export async function loopBackingFile(dir: string): Promise<string | undefined> {
  const real = await realpath(dir);
  let mountinfo: string;
  try {
    mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountpoint options [optional…] - fstype source superoptions (proc(5))
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    const mountPoint = fields[4]?.replace(/\\([0-7]{3})/g, (_m, octal: string) =>
      String.fromCharCode(Number.parseInt(octal, 8)),
    );
    const device = /^\/dev\/(loop\d+)$/.exec(fields[dash + 2] ?? '')?.[1];
    if (dash < 0 || mountPoint !== real || device === undefined) continue;
    const backing = path.join('/sys/block', device, 'loop/backing_file');
    if (!(await exists(backing))) return undefined;
    const file = (await readFile(backing, 'utf8')).trim();
    return file === '' ? undefined : file;
  }
  return undefined;
}
