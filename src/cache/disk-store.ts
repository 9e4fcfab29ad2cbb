import { randomBytes } from 'node:crypto';
import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  utimes,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import { HotFileCache } from '../net/tftp-hot-cache.js';

/** A file the cache holds, in least-recently-used order. */
interface Entry {
  size: number;
  /** When the file's mtime was last set (ms); the disk copy of the order only needs to be roughly right. */
  touchedAt: number;
  /** Which copy of the key this is (a revalidated index is replaced): the hot copy's identity. */
  readonly generation: number;
}

/**
 * Kept files up to this size are served from memory once read (a profile of 50 clients fetching 200 small
 * packages spent 40% of the event loop's time in the open, read and close of each hit); larger ones are streamed
 * from disk. Packages a rack installs at once are mostly well under it.
 */
export const HOT_FILE_MAX_BYTES = 4 * 1024 * 1024;
/** Bytes of kept files held in memory at most (least recently used out first; files being sent are pinned). */
export const HOT_CACHE_BYTES = 128 * 1024 * 1024;

/** A kept file ready to send: its bytes from memory (`release` when sent), or an open descriptor to stream. */
export type KeptFile =
  | { readonly kind: 'memory'; readonly bytes: Uint8Array; readonly size: number; release(): void }
  | { readonly kind: 'disk'; readonly handle: FileHandle; readonly size: number };

/** A hit rewrites the file's mtime at most this often: one syscall less per request on a warm cache. */
const MTIME_RESOLUTION_MS = 60_000;

/** Validators and freshness of a kept index file (issue 7 item 2: revalidated with a short lifetime). */
export interface IndexMeta {
  readonly etag?: string;
  readonly lastModified?: string;
  readonly contentType?: string;
  /** Wall-clock ms when upstream last confirmed (200 or 304) this copy. */
  readonly validatedAt: number;
}

export interface DiskStoreOptions {
  readonly root: string;
  readonly quotaBytes: number;
  readonly now: () => number;
  readonly onEvict?: (key: string, size: number) => void;
}

/**
 * The cache's files on disk: `data/<repository>/<path>` holds the bytes exactly as upstream sent them,
 * `meta/<repository>/<path>.json` the validators of index files, `tmp/` downloads in progress.
 *
 * A file appears under `data/` only complete and checked: it is written in `tmp/`, fsynced, renamed into place
 * (atomic on one filesystem) and its directory fsynced, so a crash at any instant leaves either no file or the
 * whole one (issue 7 item 3; the same write-then-rename apt-cacher-ng and dpkg rely on). Anything left in `tmp/`
 * by a crash is deleted at the next start.
 *
 * Least-recently-used order lives in memory (a Map's insertion order) and on disk as each file's mtime, which a
 * hit sets: a restart rebuilds the order by scanning, so there is no separate index to lose or corrupt.
 */
export class DiskStore {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private generations = 0;
  private readonly hot = new HotFileCache({ capacityBytes: HOT_CACHE_BYTES });
  /** Index metadata as last written or read, so a hit on an index reads no JSON file. */
  private readonly metas = new Map<string, IndexMeta>();

  constructor(private readonly options: DiskStoreOptions) {}

  get totalBytes(): number {
    return this.bytes;
  }

  get fileCount(): number {
    return this.entries.size;
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  dataPath(key: string): string {
    return path.join(this.options.root, 'data', ...key.split('/'));
  }

  private metaPath(key: string): string {
    return `${path.join(this.options.root, 'meta', ...key.split('/'))}.json`;
  }

  private get tmpDir(): string {
    return path.join(this.options.root, 'tmp');
  }

  /** Deletes interrupted downloads, rebuilds the LRU order from the files' mtimes and enforces the quota. */
  async open(): Promise<{ removedPartials: number }> {
    const partials = await readdir(this.tmpDir).catch(() => []);
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true, mode: 0o750 });
    await mkdir(path.join(this.options.root, 'data'), { recursive: true, mode: 0o750 });
    const found: { key: string; size: number; mtime: number }[] = [];
    await this.scan(path.join(this.options.root, 'data'), [], found);
    found.sort((a, b) => a.mtime - b.mtime);
    this.entries.clear();
    this.bytes = 0;
    for (const f of found) {
      this.entries.set(f.key, { size: f.size, touchedAt: f.mtime, generation: (this.generations += 1) });
      this.bytes += f.size;
    }
    await this.enforceQuota();
    return { removedPartials: partials.length };
  }

  private async scan(
    dir: string,
    prefix: string[],
    out: { key: string; size: number; mtime: number }[],
  ): Promise<void> {
    for (const dirent of await readdir(dir, { withFileTypes: true })) {
      const segments = [...prefix, dirent.name];
      const full = path.join(dir, dirent.name);
      if (dirent.isDirectory()) await this.scan(full, segments, out);
      else if (dirent.isFile()) {
        const s = await stat(full);
        out.push({ key: segments.join('/'), size: s.size, mtime: s.mtimeMs });
      }
    }
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * A kept file to send, or undefined when it is not kept (or was evicted a moment ago). Small files come from
   * memory after their first read (kept files are never written again, only replaced by rename under a new
   * generation, so a held copy is never stale); larger ones are opened, with the size recorded at commit.
   */
  async openFile(key: string): Promise<KeptFile | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    try {
      if (entry.size > 0 && entry.size <= HOT_FILE_MAX_BYTES) {
        const lease = await this.hot.acquire(`${entry.generation}:${key}`, entry.size, () =>
          readFile(this.dataPath(key)),
        );
        if (lease) {
          return {
            kind: 'memory',
            bytes: lease.bytes,
            size: entry.size,
            release: () => {
              lease.release();
            },
          };
        }
      }
      const handle = await open(this.dataPath(key), 'r');
      return { kind: 'disk', handle, size: entry.size };
    } catch (error) {
      if (isNotFound(error)) {
        this.forget(key);
        return undefined;
      }
      throw error;
    }
  }

  /** Marks a file used now: last in eviction order, and its mtime set so a restart keeps the order. */
  touch(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.entries.set(key, entry);
    const now = this.options.now();
    if (now - entry.touchedAt < MTIME_RESOLUTION_MS) return;
    entry.touchedAt = now;
    const t = new Date(now);
    utimes(this.dataPath(key), t, t).catch(() => undefined);
  }

  /** A new file in tmp/, created exclusively; the caller writes, then `commit`s or `discard`s it. */
  async createTemp(): Promise<{ path: string; handle: FileHandle }> {
    const file = path.join(this.tmpDir, randomBytes(12).toString('hex'));
    return { path: file, handle: await open(file, 'wx+', 0o640) };
  }

  async discard(tempPath: string): Promise<void> {
    await unlink(tempPath).catch(() => undefined);
  }

  /**
   * Moves a complete, fsynced temp file into place under `key` and makes the rename durable. Replaces an
   * older copy (a revalidated index). Then evicts least-recently-used files until the quota holds.
   */
  async commit(tempPath: string, key: string, size: number): Promise<void> {
    const target = this.dataPath(key);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o750 });
    await rename(tempPath, target);
    await fsyncDir(path.dirname(target));
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.size;
      this.entries.delete(key);
    }
    this.entries.set(key, { size, touchedAt: this.options.now(), generation: (this.generations += 1) });
    this.bytes += size;
    await this.enforceQuota();
  }

  async readMeta(key: string): Promise<IndexMeta | undefined> {
    const known = this.metas.get(key);
    if (known !== undefined) return known;
    try {
      const value: unknown = JSON.parse(await readFile(this.metaPath(key), 'utf8'));
      if (typeof value !== 'object' || value === null) return undefined;
      const v = value as Record<string, unknown>;
      if (typeof v.validatedAt !== 'number') return undefined;
      const meta: IndexMeta = {
        validatedAt: v.validatedAt,
        ...(typeof v.etag === 'string' ? { etag: v.etag } : {}),
        ...(typeof v.lastModified === 'string' ? { lastModified: v.lastModified } : {}),
        ...(typeof v.contentType === 'string' ? { contentType: v.contentType } : {}),
      };
      // Only for a kept file: a stray meta of an evicted one must not outlive it in memory.
      if (this.entries.has(key)) this.metas.set(key, meta);
      return meta;
    } catch {
      // Missing or torn (a crash between data and meta): the copy is revalidated, which is always safe.
      return undefined;
    }
  }

  /** Written like data (temp, then rename), so a reader never sees half a JSON document. */
  async writeMeta(key: string, meta: IndexMeta): Promise<void> {
    const target = this.metaPath(key);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o750 });
    const temp = path.join(this.tmpDir, `${randomBytes(12).toString('hex')}.json`);
    const handle = await open(temp, 'wx', 0o640);
    try {
      await handle.writeFile(JSON.stringify(meta));
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    this.metas.set(key, meta);
  }

  private async remove(key: string): Promise<void> {
    this.forget(key);
    await unlink(this.dataPath(key)).catch(() => undefined);
    await unlink(this.metaPath(key)).catch(() => undefined);
  }

  private forget(key: string): void {
    this.metas.delete(key);
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.size;
  }

  /**
   * Least-recently-used first. A reader that already opened an evicted file keeps reading it (an unlinked file
   * lives until its last descriptor closes), so eviction never cuts a download short.
   */
  private async enforceQuota(): Promise<void> {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.options.quotaBytes) return;
      await this.remove(key);
      this.options.onEvict?.(key, entry.size);
    }
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}
