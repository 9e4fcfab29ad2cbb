import type { PackageFileFacts } from './packages-index.js';
import { parsePackagesIndex } from './packages-index.js';

/**
 * Every pool file the Packages indexes seen so far name, per repository: what a downloaded package is checked
 * against before it is kept (issue 7 item 2). Indexes only add: a pool file's name fixes its content in a
 * Debian archive, so an entry from an older index stays true.
 */
export class KnownFiles {
  private readonly byRepository = new Map<string, Map<string, PackageFileFacts>>();

  /** Adds the files one Packages index names; returns how many it named and how many stanzas it skipped. */
  addIndex(repository: string, text: string): { files: number; skipped: number } {
    const index = parsePackagesIndex(text);
    let files = this.byRepository.get(repository);
    if (!files) {
      files = new Map();
      this.byRepository.set(repository, files);
    }
    for (const [name, facts] of index.files) files.set(name, facts);
    return { files: index.files.size, skipped: index.skipped.length };
  }

  lookup(repository: string, filename: string): PackageFileFacts | undefined {
    return this.byRepository.get(repository)?.get(filename);
  }
}
