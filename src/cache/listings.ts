import type { ListedEntry } from './release-file.js';

/** What a listing (Release, repomd.xml, SHA256SUMS) says about one file of a repository. */
export interface ListedFacts {
  readonly sha256: string;
  /** Absent where the listing gives no size (SHA256SUMS). */
  readonly size?: number;
  /** The path the listing names; for a by-hash file, the index it is a copy of. Repository-relative. */
  readonly name: string;
  /** The listing that says so (repository-relative path), for messages. */
  readonly listedIn: string;
}

/**
 * How many listings' words about one path are remembered. A Release is replaced each archive update; the
 * index a client fetched a moment before may match the previous one, so a few generations are accepted (each
 * was signed in its time, and the client checks its own). Bounded, so a long uptime does not grow it.
 */
export const GENERATIONS_PER_PATH = 4;

/**
 * The chain of trust below the signature, per repository (issue 7: packages are checked against the index that
 * named them, and that index against the Release that lists it): path → the SHA-256 (and size) that the
 * listings seen so far give for it. Only the listings at the top of a chain (Release, repomd.xml) and those
 * verified through one are ever added.
 */
export class Listings {
  private readonly byRepository = new Map<string, Map<string, ListedFacts[]>>();

  /**
   * Adds what one listing at `dir` (repository-relative, '' for the root) says. With `byHash`, each entry is
   * also known under `<its dir>/by-hash/SHA256/<hash>` (Acquire-By-Hash). Returns the paths it named.
   */
  add(
    repository: string,
    dir: string,
    listedIn: string,
    entries: readonly ListedEntry[],
    { byHash = false } = {},
  ): string[] {
    let paths = this.byRepository.get(repository);
    if (!paths) {
      paths = new Map();
      this.byRepository.set(repository, paths);
    }
    const named: string[] = [];
    for (const entry of entries) {
      const name = join(dir, entry.path);
      const facts: ListedFacts = {
        sha256: entry.sha256,
        ...(entry.size === undefined ? {} : { size: entry.size }),
        name,
        listedIn,
      };
      remember(paths, name, facts);
      named.push(name);
      if (byHash) {
        const hashed = join(parentOf(name), `by-hash/SHA256/${entry.sha256}`);
        remember(paths, hashed, facts);
        named.push(hashed);
      }
    }
    return named;
  }

  lookup(repository: string, path: string): readonly ListedFacts[] {
    return this.byRepository.get(repository)?.get(path) ?? [];
  }
}

function remember(paths: Map<string, ListedFacts[]>, path: string, facts: ListedFacts): void {
  const known = (paths.get(path) ?? []).filter((f) => f.sha256 !== facts.sha256);
  paths.set(path, [facts, ...known].slice(0, GENERATIONS_PER_PATH));
}

/** The listed facts a file of this SHA-256 and size matches, if any. */
export function matchListed(
  candidates: readonly ListedFacts[],
  sha256: string,
  size: number,
): ListedFacts | undefined {
  return candidates.find((c) => c.sha256 === sha256 && (c.size === undefined || c.size === size));
}

export function join(dir: string, path: string): string {
  return dir === '' ? path : `${dir}/${path}`;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}
