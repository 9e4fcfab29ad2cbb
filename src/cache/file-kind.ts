/**
 * How the cache treats a repository file, from its path alone (protocol-digest §8, issue 7 item 2). Pure.
 *
 * - `immutable`: a file whose name fixes its content (pool packages, by-hash indexes, versioned installer
 *   images). Fetched once, kept forever (until evicted), never revalidated. `check` says what it must match
 *   before it is kept.
 * - `index`: a file that changes in place (InRelease, Release, Packages…, repomd.xml, installer `current/`).
 *   Kept and revalidated upstream once it is older than the index lifetime, served byte-identical.
 * - `passthrough`: anything else a configured repository holds (README, ls-lR…): fetched for the client and not kept.
 */
export type FileKind =
  | { readonly kind: 'immutable'; readonly check: ImmutableCheck; readonly packagesIndex: boolean }
  | { readonly kind: 'index'; readonly packagesIndex: boolean }
  | { readonly kind: 'passthrough' };

export type ImmutableCheck =
  /** Size and SHA-256 from the Packages index that named the file (`Filename:`); unnamed files are not kept. */
  | { readonly by: 'packages' }
  /** The SHA-256 in the file's own name (`…/by-hash/SHA256/<hex>`, Acquire-By-Hash). */
  | { readonly by: 'name'; readonly sha256: string }
  /** Only the length upstream announced (a file no index we parse names: installer images, rpm metadata). */
  | { readonly by: 'length' };

const COMPRESSED = String.raw`(?:\.(?:gz|xz|bz2|lzma|zst|lz4))?`;
const PACKAGES = new RegExp(`^Packages${COMPRESSED}$`);
const OTHER_INDEX = new RegExp(
  `^(?:Sources|Translation-[^/]+|Contents-[^/]+|Components-[^/]+|icons-[^/]+|Commands-[^/]+)${COMPRESSED}$`,
);
const SIGNED = new Set(['InRelease', 'Release', 'Release.gpg']);
const INSTALLER_SUMS = new Set(['SHA256SUMS', 'MD5SUMS', 'SHA256SUMS.gpg', 'SHA256SUMS.sign']);

export function classifyFile(segments: readonly string[]): FileKind {
  const name = segments.at(-1) ?? '';
  const packagesDir = segments.some((s) => s.startsWith('binary-'));

  const byHash = segments.length >= 3 && segments.at(-3) === 'by-hash' ? segments.at(-2) : undefined;
  if (byHash === 'SHA256' && /^[0-9a-f]{64}$/.test(name)) {
    return { kind: 'immutable', check: { by: 'name', sha256: name }, packagesIndex: packagesDir };
  }
  if (byHash !== undefined) return { kind: 'passthrough' }; // MD5Sum/SHA1 by-hash: apt uses SHA256 when offered

  if (/\.(?:deb|udeb|ddeb)$/.test(name))
    return { kind: 'immutable', check: { by: 'packages' }, packagesIndex: false };
  // No rpm index parser yet: an .rpm is held to its announced length only (see docs/cache.md).
  if (/\.(?:rpm|drpm)$/.test(name))
    return { kind: 'immutable', check: { by: 'length' }, packagesIndex: false };

  if (SIGNED.has(name) || OTHER_INDEX.test(name)) return { kind: 'index', packagesIndex: false };
  if (PACKAGES.test(name)) return { kind: 'index', packagesIndex: true };

  const repodata = segments.indexOf('repodata');
  if (repodata !== -1 && repodata === segments.length - 2) {
    return /^repomd\.xml(?:\.asc|\.key)?$/.test(name)
      ? { kind: 'index', packagesIndex: false }
      : { kind: 'immutable', check: { by: 'length' }, packagesIndex: false };
  }

  // dists/<suite>/main/installer-<arch>/<version>/images/…: a dated version directory never changes, but
  // `current` is a symlink the archive moves at each point release, and the SHA256SUMS beside the images too.
  const installer = segments.findIndex((s) => s.startsWith('installer-'));
  if (installer > 0 && segments[0] === 'dists' && segments.length > installer + 2) {
    const version = segments[installer + 1];
    if (version === 'current' || INSTALLER_SUMS.has(name)) return { kind: 'index', packagesIndex: false };
    return { kind: 'immutable', check: { by: 'length' }, packagesIndex: false };
  }
  return { kind: 'passthrough' };
}
