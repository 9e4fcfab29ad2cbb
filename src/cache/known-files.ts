import type { PackageFileFacts } from './packages-index.js';

/** A package's size and SHA-256, and the verified index that gave them (for messages). */
export interface KnownPackage extends PackageFileFacts {
  readonly listedIn: string;
}

/**
 * Every package file the verified package indexes seen so far name, per repository: Debian Packages indexes
 * (`Filename:`) and rpm primary metadata (`location href`), both relative to the repository root. What a
 * downloaded package is checked against before it is kept (issue 7 item 2). Indexes only add: a package's name
 * fixes its content in an archive, so an entry from an older index stays true.
 */
export class KnownFiles {
  private readonly byRepository = new Map<string, Map<string, KnownPackage>>();

  add(repository: string, listedIn: string, files: ReadonlyMap<string, PackageFileFacts>): void {
    let known = this.byRepository.get(repository);
    if (!known) {
      known = new Map();
      this.byRepository.set(repository, known);
    }
    for (const [name, facts] of files) known.set(name, { size: facts.size, sha256: facts.sha256, listedIn });
  }

  lookup(repository: string, filename: string): KnownPackage | undefined {
    return this.byRepository.get(repository)?.get(filename);
  }
}
