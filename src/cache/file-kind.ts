import { MAX_INDEX_TEXT_BYTES, MAX_LISTING_BYTES } from './index-text.js';

/**
 * How the cache treats a repository file, from its path alone (protocol-digest §8, issue 7 item 2). Pure.
 *
 * - `immutable`: a file whose name fixes its content (pool packages, by-hash indexes, versioned installer
 *   images, hash-named rpm metadata). Fetched once, kept until evicted, never revalidated.
 * - `index`: a file that changes in place (InRelease, Release, Packages…, repomd.xml, installer `current/`).
 *   Kept and revalidated upstream once it is older than the index lifetime, served byte-identical.
 * - `passthrough`: anything else a configured repository holds (README, ls-lR…): fetched for the client and not kept.
 *
 * `check` says what a kept file must match; `role` what the cache learns from it once it is verified.
 */
export type FileKind =
  | {
      readonly kind: 'immutable' | 'index';
      readonly check: FileCheck;
      readonly role?: IndexRole;
      /**
       * Listings this file is checked against, which the cache fetches itself (when missing or stale) before
       * the file: groups of alternatives, repository-relative (`[[InRelease, Release], [SHA256SUMS]]`).
       */
      readonly prerequisites?: readonly (readonly string[])[];
    }
  | { readonly kind: 'passthrough' };

export type FileCheck =
  /** Size and SHA-256 from a verified package index (Packages `Filename:`, rpm primary); unnamed files are not kept. */
  | { readonly by: 'packages' }
  /** The SHA-256 in the file's own name (`…/by-hash/SHA256/<hex>`, Acquire-By-Hash), and any listing of it. */
  | { readonly by: 'name'; readonly sha256: string }
  /**
   * What a listing (Release, repomd.xml, a verified SHA256SUMS) gives for the path. `required`: a file no listing
   * names is passed through and not kept; otherwise (index files) it is kept but vouches for nothing.
   */
  | { readonly by: 'listing'; readonly required: boolean };

/**
 * What a verified file tells the cache: `release` and `repomd` list indexes (the top of a chain: their signature
 * is the client's to check); `sums` lists installer images; `packages` and `primary` list packages.
 */
export type IndexRole = 'release' | 'repomd' | 'sums' | 'packages' | 'primary';

const COMPRESSED = String.raw`(?:\.(?:gz|xz|bz2|lzma|zst|lz4))?`;
const PACKAGES = new RegExp(`^Packages${COMPRESSED}$`);
const OTHER_INDEX = new RegExp(
  `^(?:Sources|Translation-[^/]+|Contents-[^/]+|Components-[^/]+|icons-[^/]+|Commands-[^/]+)${COMPRESSED}$`,
);
const INSTALLER_SUMS = new Set(['SHA256SUMS', 'MD5SUMS', 'SHA256SUMS.gpg', 'SHA256SUMS.sign']);
/** createrepo_c's default names: `<checksum>-primary.xml.gz`; `--simple-md-filenames` drops the checksum. */
const HASH_NAMED = /^[0-9a-f]{40,128}-/;
const PRIMARY = /(?:^|-)primary\.xml(?:\.(?:gz|xz|bz2|zst))?$/;

const listed = (required: boolean): FileCheck => ({ by: 'listing', required });

export function classifyFile(segments: readonly string[]): FileKind {
  const name = segments.at(-1) ?? '';

  const byHash = segments.length >= 3 && segments.at(-3) === 'by-hash' ? segments.at(-2) : undefined;
  if (byHash === 'SHA256' && /^[0-9a-f]{64}$/.test(name)) {
    // Its role is that of the index the Release lists under this hash (Packages.xz, Translation-en…).
    return { kind: 'immutable', check: { by: 'name', sha256: name } };
  }
  if (byHash !== undefined) return { kind: 'passthrough' }; // MD5Sum/SHA1 by-hash: apt uses SHA256 when offered

  if (/\.(?:deb|udeb|ddeb|rpm)$/.test(name)) return { kind: 'immutable', check: { by: 'packages' } };

  if (name === 'InRelease' || name === 'Release')
    return { kind: 'index', check: listed(false), role: 'release' };
  if (name === 'Release.gpg' || OTHER_INDEX.test(name)) return { kind: 'index', check: listed(false) };
  if (PACKAGES.test(name)) return { kind: 'index', check: listed(false), role: 'packages' };

  const repodata = segments.indexOf('repodata');
  if (repodata !== -1 && repodata === segments.length - 2) {
    if (name === 'repomd.xml') return { kind: 'index', check: listed(false), role: 'repomd' };
    if (/^repomd\.xml\.(?:asc|key)$/.test(name)) return { kind: 'index', check: listed(false) };
    return {
      kind: HASH_NAMED.test(name) ? 'immutable' : 'index',
      check: listed(true),
      ...(PRIMARY.test(name) ? { role: 'primary' as const } : {}),
      prerequisites: [[[...segments.slice(0, repodata), 'repodata', 'repomd.xml'].join('/')]],
    };
  }

  // dists/<suite>/<component>/installer-<arch>/<version>/images/…: a dated version directory never changes, but
  // `current` is a symlink the archive moves at each point release, and the SHA256SUMS beside the images too.
  // The images are checked against the SHA256SUMS of their `images/` directory, which the suite's Release lists.
  const installer = segments.findIndex((s) => s.startsWith('installer-'));
  if (installer > 1 && segments[0] === 'dists' && segments.length > installer + 2) {
    const kind = segments[installer + 1] === 'current' ? 'index' : 'immutable';
    const release = segments.slice(0, installer - 1).join('/');
    const releases = [`${release}/InRelease`, `${release}/Release`];
    if (name === 'SHA256SUMS')
      return { kind: 'index', check: listed(false), role: 'sums', prerequisites: [releases] };
    if (INSTALLER_SUMS.has(name)) return { kind: 'index', check: listed(false) };
    const images =
      segments[installer + 2] === 'images' ? segments.slice(0, installer + 3).join('/') : undefined;
    return {
      kind,
      check: listed(true),
      ...(images === undefined ? {} : { prerequisites: [releases, [`${images}/SHA256SUMS`]] }),
    };
  }
  return { kind: 'passthrough' };
}

/** The role of a by-hash file, from the name the listing gives it. */
export function roleOfListedName(name: string): IndexRole | undefined {
  const kind = classifyFile(name.split('/'));
  return kind.kind === 'passthrough' ? undefined : kind.role;
}

/**
 * The most the cache reads of a file of this kind (a listing, an index it parses), or Infinity for files it only
 * keeps. A download of unknown size (no listed size, no Content-Length) stops there: a larger one could not be
 * read, so storing it would only fill the disk.
 */
export function readBound(kind: FileKind): number {
  const role = kind.kind === 'passthrough' ? undefined : kind.role;
  switch (role) {
    case 'release':
    case 'repomd':
    case 'sums':
      return MAX_LISTING_BYTES;
    case 'packages':
    case 'primary':
      // Compressed or not, an index larger than its decompressed bound is never read whole.
      return MAX_INDEX_TEXT_BYTES;
    case undefined:
      return Infinity;
  }
}
