// The boot loaders every image shares, installed at the top of the boot root from the host's Debian packages on each
// import (protocol-digest §3, §5.2–5.3): the names the default boot-file table hands out (src/boot/boot-file.ts) and
// what pxelinux.0 loads beside itself. One build of each: pxelinux.0 and its modules from the same syslinux.
import { CatalogError } from './errors.js';
import { readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { LoaderKind } from '../inventory/os-image.js';
import { isRecord } from '../values/guards.js';
import {
  copyHashed,
  fsyncDir,
  hasCode,
  hashFile,
  tempFileOf,
  writeFileAtomic,
  type FileDigest,
} from './files.js';

export interface HostLoader {
  /** Its name at the top of the boot root. */
  readonly file: string;
  /** Where the host's package installs it. */
  readonly from: string;
  /** The Debian package that brings it, for the error when it is missing. */
  readonly package: string;
  /** The firmware kind it boots, for the image's `loaders` map (amd64 images only: all of these are x86). */
  readonly kind?: LoaderKind;
}

const SYSLINUX_BIOS = '/usr/lib/syslinux/modules/bios';

export const HOST_LOADERS: readonly HostLoader[] = [
  { file: 'pxelinux.0', from: '/usr/lib/PXELINUX/pxelinux.0', package: 'pxelinux', kind: 'pxelinux' },
  // pxelinux.0 (syslinux ≥ 5) loads ldlinux.c32 from its own directory; menu.c32 needs libutil.c32, vesamenu.c32
  // needs libutil.c32 and libcom32.c32 (protocol-digest §5.2, ELF NEEDED).
  ...['ldlinux.c32', 'menu.c32', 'vesamenu.c32', 'libutil.c32', 'libcom32.c32'].map((file) => ({
    file,
    from: `${SYSLINUX_BIOS}/${file}`,
    package: 'syslinux-common',
  })),
  { file: 'undionly.kpxe', from: '/usr/lib/ipxe/undionly.kpxe', package: 'ipxe', kind: 'ipxe-bios' },
  { file: 'snponly.efi', from: '/usr/lib/ipxe/snponly.efi', package: 'ipxe', kind: 'ipxe-efi-x64' },
  // Debian links /usr/lib/ipxe/ipxe.efi to /boot/ipxe.efi: the content is copied, never the link.
  { file: 'ipxe.efi', from: '/usr/lib/ipxe/ipxe.efi', package: 'ipxe' },
];

/** One installed shared loader, as `<bootRoot>/loaders.json` records it. */
export interface LoaderRecord extends FileDigest {
  /** Relative to the boot root. */
  readonly path: string;
  /** The host file it was copied from. */
  readonly source: string;
  readonly package: string;
}

export const LOADERS_MANIFEST = 'loaders.json';

export class LoaderError extends CatalogError {
  override readonly name = 'LoaderError';
}

/**
 * Installs or refreshes each loader at the top of `bootRoot`: a file whose content already matches is left alone
 * (a TFTP transfer in progress keeps its inode either way), a changed one is written beside it, fsynced and renamed
 * over it. Then `loaders.json` records every loader with its SHA-256. A missing host file fails the import before
 * anything is replaced, naming the package that brings it.
 */
export async function installLoaders(
  bootRoot: string,
  loaders: readonly HostLoader[],
  now: number,
): Promise<LoaderRecord[]> {
  const wanted: { loader: HostLoader; digest: FileDigest }[] = [];
  for (const loader of loaders) {
    try {
      wanted.push({ loader, digest: await hashFile(loader.from) });
    } catch (error) {
      if (!hasCode(error, 'ENOENT')) throw error;
      throw new LoaderError(`${loader.from} not found: install Debian's ${loader.package} package`);
    }
  }
  const records: LoaderRecord[] = [];
  for (const { loader, digest } of wanted) {
    const target = path.join(bootRoot, loader.file);
    const current = await hashFile(target).catch((error: unknown) => {
      if (hasCode(error, 'ENOENT')) return undefined;
      throw error;
    });
    let installed = digest;
    if (current?.sha256 !== digest.sha256) {
      const temp = tempFileOf(target);
      await unlink(temp).catch(() => undefined);
      try {
        installed = await copyHashed(loader.from, temp);
        await rename(temp, target);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
    }
    records.push({ path: loader.file, source: loader.from, package: loader.package, ...installed });
  }
  await fsyncDir(bootRoot);
  await writeFileAtomic(
    path.join(bootRoot, LOADERS_MANIFEST),
    `${JSON.stringify({ format: 1, installedAt: now, loaders: records }, null, 2)}\n`,
  );
  return records;
}

/** The shared loaders as last installed, or an empty list before the first import. */
export async function readLoaders(bootRoot: string): Promise<LoaderRecord[]> {
  let text: string;
  try {
    text = await readFile(path.join(bootRoot, LOADERS_MANIFEST), 'utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return [];
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  const list = isRecord(parsed) ? parsed.loaders : undefined;
  if (!Array.isArray(list))
    throw new LoaderError(`${path.join(bootRoot, LOADERS_MANIFEST)}: no loaders list`);
  return list.filter(isLoaderRecord);
}

function isLoaderRecord(value: unknown): value is LoaderRecord {
  return (
    isRecord(value) &&
    typeof value.path === 'string' &&
    /^[a-z0-9][a-z0-9._-]*$/i.test(value.path) &&
    typeof value.sha256 === 'string' &&
    typeof value.size === 'number' &&
    typeof value.source === 'string' &&
    typeof value.package === 'string'
  );
}

/** The `loaders` entries the shared loaders give an image of `arch`. */
export function sharedLoaderKinds(
  loaders: readonly HostLoader[],
  arch: string,
): Partial<Record<LoaderKind, string>> {
  if (arch !== 'amd64') return {};
  const kinds: Partial<Record<LoaderKind, string>> = {};
  for (const loader of loaders) if (loader.kind !== undefined) kinds[loader.kind] = loader.file;
  return kinds;
}
