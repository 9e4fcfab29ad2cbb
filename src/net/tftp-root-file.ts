import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../protocol/tftp/index.js';
import type { TftpRefusal } from './tftp-file.js';

/** What the roots accept besides "a regular file inside the root". */
export interface RootPolicy {
  /** Refuse a file with more than one hard link (default). */
  readonly refuseHardLinks: boolean;
  /** Refuse a file others may not read (default), as tftpd-hpa does without `--permissive`. */
  readonly requireWorldReadable: boolean;
}

export type RootLookup =
  | { readonly kind: 'absent' }
  | { readonly kind: 'refused'; readonly reason: TftpRefusal }
  | { readonly kind: 'found'; readonly root: string; readonly realPath: string; readonly stats: Stats };

/**
 * Looks `relative` (already canonical: `resolveTftpPath`, no `..`) up in one root. Reliability-catalogue §5 "path
 * traversal" and T07: resolve symlinks with realpath, require the result inside the root's own real path, serve
 * regular files only. `absent` lets the next root be tried; a refusal ends the search (a symlink out of the first
 * root must not fall through to a second).
 */
export async function lookUpInRoot(root: string, relative: string, policy: RootPolicy): Promise<RootLookup> {
  let realRoot: string;
  let realPath: string;
  try {
    realRoot = await realpath(root);
    realPath = await realpath(path.join(realRoot, relative));
  } catch (error) {
    // ENOENT, ENOTDIR: not here. ELOOP, EACCES, ENAMETOOLONG: nothing we can serve either, and no reason to
    // say more to the client than "not found".
    if (isErrno(error)) return { kind: 'absent' };
    throw error;
  }
  if (!isInside(realRoot, realPath)) return { kind: 'refused', reason: 'outside-root' };
  let stats: Stats;
  try {
    stats = await stat(realPath);
  } catch (error) {
    if (isErrno(error)) return { kind: 'absent' };
    throw error;
  }
  const refusal = refusalFor(stats, policy);
  if (refusal !== undefined) return { kind: 'refused', reason: refusal };
  return { kind: 'found', root: realRoot, realPath, stats };
}

function refusalFor(stats: Stats, policy: RootPolicy): TftpRefusal | undefined {
  // Checked before any open(2): opening a FIFO blocks and opening a device can act on it (catalogue T07).
  if (!stats.isFile()) return 'not-regular-file';
  if (policy.refuseHardLinks && stats.nlink > 1) return 'hard-link';
  if (policy.requireWorldReadable && (stats.mode & constants.S_IROTH) === 0) return 'not-world-readable';
  return undefined;
}

/** A refusal found while opening: the file changed or moved between the lookup and the open. */
export class RootFileRefused extends Error {
  override readonly name = 'RootFileRefused';
  constructor(readonly reason: TftpRefusal) {
    super(`refused: ${reason}`);
  }
}

/**
 * Opens what `lookUpInRoot` found, closing the gap between its checks and the open: O_NOFOLLOW and O_NONBLOCK (a
 * FIFO swapped in cannot block the open), then the descriptor must be the same inode, still a regular file, and
 * its path as the kernel knows it (/proc/self/fd) still inside the root — a directory on the way swapped for a
 * symlink after realpath would show there. Throws `RootFileRefused` when any of that fails.
 */
export async function openFound(found: Extract<RootLookup, { kind: 'found' }>): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(found.realPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (isErrno(error)) throw new RootFileRefused('changed');
    throw error;
  }
  try {
    const now = await handle.stat();
    if (!now.isFile() || now.ino !== found.stats.ino || now.dev !== found.stats.dev) {
      throw new RootFileRefused('changed');
    }
    const actual = await readlink(`/proc/self/fd/${handle.fd}`);
    if (!isInside(found.root, actual)) throw new RootFileRefused('outside-root');
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The whole of a file of `size` octets, read through `handle`; a file that shrank meanwhile is an error. */
export async function readWhole(handle: FileHandle, size: number): Promise<Uint8Array> {
  const buffer = Buffer.allocUnsafeSlow(size);
  let done = 0;
  while (done < size) {
    const { bytesRead } = await handle.read(buffer, done, size - done, done);
    if (bytesRead === 0) throw new RootFileRefused('changed');
    done += bytesRead;
  }
  return buffer;
}

/** Up to `length` octets at `offset`, for a file streamed with positional reads. */
export async function readAt(handle: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

/** The identity of one version of a file, for the hot cache. */
export function versionKey(realPath: string, stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${realPath}`;
}

function isErrno(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
