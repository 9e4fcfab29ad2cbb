// Durable file operations of the catalog: every file an import writes is complete, fsynced and hashed before the
// rename that makes the image visible (reliability-catalogue F12: a crash never leaves a half image).
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/** What one file weighs and hashes to. `sha256` is lower-case hex. */
export interface FileDigest {
  readonly sha256: string;
  readonly size: number;
}

const CHUNK = 1 << 20;

/**
 * Modes of what the catalog publishes. TFTP, like tftpd-hpa without `--permissive`, serves only world-readable files
 * (reliability-catalogue P7), and the boot files are no secret; set explicitly, since `serve` and other commands run
 * with umask 027.
 */
export const PUBLISHED_FILE = 0o644;
export const PUBLISHED_DIRECTORY = 0o755;

/** The SHA-256 and size of a file, read once in 1 MiB chunks (kernels and ISOs do not fit a string). */
export async function hashFile(file: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}

/**
 * Copies `from` (following symlinks) to the new file `to`, fsyncs it and returns the digest of what was written.
 * `to` must not exist: an import only ever writes into its own fresh temp directory.
 */
export async function copyHashed(from: string, to: string): Promise<FileDigest> {
  await mkdir(path.dirname(to), { recursive: true });
  const hash = createHash('sha256');
  const source = await open(from, 'r');
  try {
    const target = await open(to, 'wx', 0o644);
    try {
      await target.chmod(PUBLISHED_FILE); // whatever the umask: TFTP serves only world-readable files
      const buffer = Buffer.allocUnsafe(CHUNK);
      let size = 0;
      for (;;) {
        const { bytesRead } = await source.read(buffer, 0, CHUNK, null);
        if (bytesRead === 0) break;
        const chunk = buffer.subarray(0, bytesRead);
        hash.update(chunk);
        await target.write(chunk);
        size += bytesRead;
      }
      await target.sync();
      return { sha256: hash.digest('hex'), size };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

/**
 * Puts a copy of `from` at the new file `to`, sharing its blocks when the filesystem can (a reflink on Btrfs, XFS,
 * bcachefs: an ISO of several GB costs no space or time), else copying them, and returns the digest of `to`.
 * Never a hard link: the served roots refuse files with more than one link (catalogue T07), so a linked ISO would
 * be a 404 to casper's `url=`, and a link would also let the owner of the original change what is served.
 */
export async function cloneOrCopyHashed(from: string, to: string): Promise<FileDigest> {
  await mkdir(path.dirname(to), { recursive: true });
  // COPYFILE_FICLONE tries the reflink and falls back to a kernel copy by itself; COPYFILE_EXCL as `wx` above.
  await copyFile(from, to, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  const handle = await open(to, 'r');
  try {
    await handle.chmod(PUBLISHED_FILE); // copyFile takes the source's mode; TFTP serves only world-readable files
    await handle.sync();
  } finally {
    await handle.close();
  }
  return hashFile(to);
}

/** Writes `text` to `file` atomically: a temp file beside it, fsynced, renamed over it, the directory fsynced. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temp = tempFileOf(file);
  const handle = await open(temp, 'w', PUBLISHED_FILE);
  try {
    await handle.chmod(PUBLISHED_FILE);
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await fsyncDir(path.dirname(file));
}

/**
 * The hidden temp name a file is written under before its rename: `.<name>.tmp-<pid>`, never a valid image or loader
 * name, and carrying the writer's pid so a leftover of a crashed writer can be told from a live one.
 */
export function tempFileOf(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp-${String(process.pid)}`);
}

/** The pid in a temp file name of `tempFileOf`, or undefined when `name` is none. */
export function tempFileWriter(name: string): number | undefined {
  const pid = /^\..+\.tmp-(\d+)$/.exec(name)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/** Makes the entries of `dir` (a rename into it, a file created in it) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes a tree we built servable: directories 0755, and files that others cannot read (an ISO's 0400 entries, a
 * tarball's) readable by all. Files already world-readable keep their mode.
 * Symlinks are left alone.
 */
export async function publishTree(dir: string): Promise<void> {
  await chmod(dir, PUBLISHED_DIRECTORY);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) await publishTree(file);
    else if (entry.isFile()) {
      const { mode } = await stat(file);
      if ((mode & constants.S_IROTH) === 0) await chmod(file, (mode & 0o7777) | 0o444);
    }
  }
}

/** fsyncs every directory of a tree, deepest first, so every file created in it survives a crash. */
export async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await fsyncTree(path.join(dir, entry.name));
  }
  await fsyncDir(dir);
}

/**
 * Every regular file under `dir`, as `/`-separated paths relative to it, sorted. Symlinks are not followed (the
 * caller decides what a link in an untrusted tree may point to).
 */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(dir, relative)));
    else if (entry.isFile()) files.push(relative);
  }
  return files.sort();
}

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if (hasCode(error, 'ENOENT', 'ENOTDIR')) return false;
    throw error;
  }
}

export async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await lstat(file)).isDirectory();
  } catch (error) {
    if (hasCode(error, 'ENOENT', 'ENOTDIR')) return false;
    throw error;
  }
}

/**
 * Removes a tree we created. Trees extracted from an ISO can have read-only directories (0555), which `rm` as root
 * ignores but an unprivileged operator's would not, so write bits are restored first when it is refused.
 */
export async function removeTree(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(async (error: unknown) => {
    if (!hasCode(error, 'EACCES', 'EPERM')) throw error;
    await makeWritable(dir);
    await rm(dir, { recursive: true, force: true });
  });
}

async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await makeWritable(path.join(dir, entry.name));
  }
}

export function hasCode(error: unknown, ...codes: readonly string[]): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && codes.includes(code);
}
