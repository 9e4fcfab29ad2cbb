import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../observability/logger.js';
import { classifyFile, roleOfListedName, type FileKind, type IndexRole } from './file-kind.js';
import { decompressedChunks, MAX_LISTING_BYTES, readIndexText } from './index-text.js';
import { KnownFiles, type KnownPackage } from './known-files.js';
import { join, Listings, matchListed, parentOf, type ListedFacts } from './listings.js';
import { parsePackagesIndex } from './packages-index.js';
import { parseReleaseFile, parseSha256Sums } from './release-file.js';
import { parsePrimary, parseRepomd } from './rpm-metadata.js';

/** A kept file's SHA-256 and size, as checked on download or hashed from disk at start. */
export interface KeptDigest {
  readonly sha256: string;
  readonly size: number;
}

/** Kept indexes remembered as waiting for a listing, at most (oldest forgotten first: they stay unvouched). */
const MAX_PENDING = 10_000;

/**
 * The chain from a signed listing down to each package (issue 7: a package is kept only when it matches the
 * index that named it, and that index counts only when it matches the listing above it):
 *
 *     InRelease/Release ──▶ Packages* (plain, compressed, by-hash) ──▶ .deb/.udeb
 *     InRelease/Release ──▶ installer-<arch>/…/images/SHA256SUMS   ──▶ netboot.tar.gz, vmlinuz, initrd.gz…
 *     repodata/repomd.xml ──▶ repodata/<hash>-primary.xml.gz         ──▶ .rpm
 *
 * The top of each chain (Release, repomd.xml) is taken as it is: its signature is checked by apt, the installer
 * or dnf, with their keyrings, not by the cache. An index no listing names yet (its Release not seen, or
 * evicted before a restart) is kept but vouches for nothing; it is "pending" until a listing names it, and is
 * then checked from disk.
 */
export class TrustChain {
  private readonly listings = new Listings();
  private readonly known = new KnownFiles();
  /** Kept indexes that no listing vouched for yet, by cache key. */
  private readonly pending = new Map<string, KeptDigest>();

  constructor(
    private readonly store: {
      dataPath(key: string): string;
      has(key: string): boolean;
      keys(): IterableIterator<string>;
    },
    private readonly logger: Logger,
  ) {}

  /** Whether a kept file of this kind may teach the cache anything (so is worth hashing at start). */
  static teaches(kind: FileKind): boolean {
    return kind.kind !== 'passthrough' && (kind.role !== undefined || kind.check.by === 'name');
  }

  /**
   * Rebuilds the chain from the kept files at start: the top listings (Release, repomd.xml) first, then what they
   * list, each hashed from disk and checked as it was on download.
   */
  async rebuild(): Promise<void> {
    const rank = (kind: FileKind): number => {
      const role = kind.kind === 'passthrough' ? undefined : kind.role;
      return role === 'release' || role === 'repomd' ? 0 : role === 'sums' ? 1 : 2;
    };
    const teaching = [...this.store.keys()]
      .map((key) => {
        const [repository = '', ...segments] = key.split('/');
        return { key, repository, path: segments.join('/'), kind: classifyFile(segments) };
      })
      .filter((f) => TrustChain.teaches(f.kind))
      .sort((a, b) => rank(a.kind) - rank(b.kind));
    for (const f of teaching) {
      try {
        await this.adopt(f.repository, f.path, f.kind, await digestOf(this.store.dataPath(f.key)));
      } catch (error) {
        this.logger.warn({ err: error, key: f.key }, 'a kept index could not be read');
      }
    }
  }

  /** What the listings seen so far give for a path (repository-relative). */
  listed(repository: string, path: string): readonly ListedFacts[] {
    return this.listings.lookup(repository, path);
  }

  /** What the verified package indexes give for a package. */
  knownPackage(repository: string, path: string): KnownPackage | undefined {
    return this.known.lookup(repository, path);
  }

  /** Learns what a kept, complete file says, when the chain above it vouches for it. */
  async adopt(repository: string, path: string, kind: FileKind, digest: KeptDigest): Promise<void> {
    if (kind.kind === 'passthrough') return;
    const key = `${repository}/${path}`;
    const candidates = this.listings.lookup(repository, path);
    const match = matchListed(candidates, digest.sha256, digest.size);
    const role: IndexRole | undefined =
      kind.role ?? (kind.check.by === 'name' && match ? roleOfListedName(match.name) : undefined);
    if (role === 'release' || role === 'repomd') {
      await this.learn(repository, path, role);
      return;
    }
    if (match === undefined) {
      if (role === undefined && kind.check.by !== 'name') return;
      // Bounded: an index evicted while pending would otherwise stay here until a listing names it.
      if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value ?? '');
      this.pending.set(key, digest);
      this.logger.debug(
        { repository, path, listedWith: candidates.length },
        'kept index not (yet) listed with this SHA-256: it vouches for nothing until a listing names it',
      );
      return;
    }
    this.pending.delete(key);
    if (role !== undefined) await this.learn(repository, path, role);
  }

  private async learn(repository: string, path: string, role: IndexRole): Promise<void> {
    const file = this.store.dataPath(`${repository}/${path}`);
    try {
      switch (role) {
        case 'release': {
          const entries = parseReleaseFile(await readListing(file));
          await this.addListing(repository, parentOf(path), path, entries, true);
          return;
        }
        case 'sums': {
          const entries = parseSha256Sums(await readListing(file));
          await this.addListing(repository, parentOf(path), path, entries, false);
          return;
        }
        case 'repomd': {
          const entries = await parseRepomd([await readListing(file)]);
          // Locations in repomd.xml and primary are relative to the directory that holds repodata/.
          await this.addListing(repository, parentOf(parentOf(path)), path, entries, false);
          return;
        }
        case 'packages': {
          const index = parsePackagesIndex(await readIndexText(file));
          this.known.add(repository, path, index.files);
          this.logger.debug(
            { repository, path, files: index.files.size, skipped: index.skipped.length },
            'Packages index read',
          );
          return;
        }
        case 'primary': {
          const base = parentOf(parentOf(path));
          const { files, skipped } = await parsePrimary(decompressedChunks(file));
          this.known.add(
            repository,
            path,
            new Map([...files].map(([href, facts]) => [join(base, href), facts])),
          );
          this.logger.debug({ repository, path, files: files.size, skipped }, 'rpm primary metadata read');
          return;
        }
      }
    } catch (error) {
      // The index stays served as it is; only the files it names are not kept (they pass through).
      this.logger.warn(
        { repository, path, err: error },
        'a verified index could not be read: the files it names are passed through, not kept',
      );
    }
  }

  private async addListing(
    repository: string,
    dir: string,
    listedIn: string,
    entries: Parameters<Listings['add']>[3],
    byHash: boolean,
  ): Promise<void> {
    const named = this.listings.add(repository, dir, listedIn, entries, { byHash });
    this.logger.debug({ repository, path: listedIn, entries: entries.length }, 'listing read');
    // Indexes kept before this listing was seen are checked now, from their recorded digest.
    for (const path of named) {
      const key = `${repository}/${path}`;
      const digest = this.pending.get(key);
      if (digest === undefined) continue;
      this.pending.delete(key);
      if (this.store.has(key)) await this.adopt(repository, path, classifyFile(path.split('/')), digest);
    }
  }
}

async function readListing(file: string): Promise<string> {
  const bytes = await readFile(file);
  if (bytes.length > MAX_LISTING_BYTES) throw new Error(`a listing of ${bytes.length} bytes is not read`);
  return bytes.toString('utf8');
}

/** SHA-256 and size of a kept file, for what the cache hashes at start. */
export async function digestOf(file: string): Promise<KeptDigest> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(createReadStream(file), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      size += chunk.length;
      hash.update(chunk);
    }
  });
  return { sha256: hash.digest('hex'), size };
}
