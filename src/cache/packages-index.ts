import { parseDeb822 } from './deb822.js';

/** What a Packages index promises about one file (wiki.debian.org/DebianRepository/Format, "Packages Indices"). */
export interface PackageFileFacts {
  readonly size: number;
  /** Lower-case hex. */
  readonly sha256: string;
}

export interface PackagesIndex {
  /** `Filename:` (relative to the repository root, e.g. `pool/main/h/hello/hello_2.10-3_amd64.deb`) → facts. */
  readonly files: ReadonlyMap<string, PackageFileFacts>;
  /** Stanzas without a usable Filename, Size or SHA256 (skipped, never guessed at), with their line numbers. */
  readonly skipped: readonly { readonly line: number; readonly reason: string }[];
}

/**
 * Reads the uncompressed text of a Packages index (binary or debian-installer). Pure. Only the three fields the
 * cache checks are read; a stanza missing one is skipped so that a file it names is never kept unchecked.
 */
export function parsePackagesIndex(text: string): PackagesIndex {
  const files = new Map<string, PackageFileFacts>();
  const skipped: { line: number; reason: string }[] = [];
  const parsed = parseDeb822(text);
  for (const problem of parsed.problems) skipped.push(problem);
  for (const { fields, line } of parsed.paragraphs) {
    const filename = fields.get('filename');
    const size = fields.get('size');
    const sha256 = fields.get('sha256')?.toLowerCase();
    if (filename === undefined || filename === '' || /(^|\/)\.\.?(\/|$)|^\//.test(filename)) {
      skipped.push({ line, reason: 'no Filename, or one that leaves the repository' });
    } else if (size === undefined || !/^\d{1,15}$/.test(size)) {
      skipped.push({ line, reason: 'no Size, or one that is not a byte count' });
    } else if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) {
      skipped.push({ line, reason: 'no SHA256, or one that is not 64 hex digits' });
    } else {
      files.set(filename, { size: Number(size), sha256 });
    }
  }
  return { files, skipped };
}
