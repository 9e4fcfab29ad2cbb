import { parseDeb822 } from './deb822.js';

/** One file a signed listing names: its path relative to the listing's directory, SHA-256 and, when given, size. */
export interface ListedEntry {
  readonly path: string;
  readonly sha256: string;
  readonly size?: number;
}

/**
 * The signed text of a clear-signed file (RFC 4880 §7, "Cleartext Signature Framework"): the lines between the
 * armor header's blank line and `-----BEGIN PGP SIGNATURE-----`, dash-escaping undone. A plain Release file is
 * returned as it is. The signature is not checked here: apt and the installer check it, with their keyrings.
 */
export function signedText(text: string): string {
  if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return text;
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const start = lines.indexOf('');
  const end = lines.indexOf('-----BEGIN PGP SIGNATURE-----');
  if (start === -1 || end === -1 || end < start) return '';
  return lines
    .slice(start + 1, end)
    .map((l) => (l.startsWith('- ') ? l.slice(2) : l))
    .join('\n');
}

/**
 * The `SHA256:` field of an InRelease or Release file: every index of the suite with its size, relative to the
 * Release's directory (wiki.debian.org/DebianRepository/Format, "Release files"). Pure; a malformed line is
 * left out, never guessed at.
 */
export function parseReleaseFile(text: string): ListedEntry[] {
  const { paragraphs } = parseDeb822(signedText(text));
  const fields = paragraphs[0]?.fields;
  const entries: ListedEntry[] = [];
  for (const line of (fields?.get('sha256') ?? '').split('\n')) {
    const [sha256, size, path, extra] = line.trim().split(/\s+/);
    if (extra !== undefined || sha256 === undefined || size === undefined || path === undefined) continue;
    if (!/^[0-9a-fA-F]{64}$/.test(sha256) || !/^\d{1,15}$/.test(size) || !isRelativePath(path)) continue;
    entries.push({ path, sha256: sha256.toLowerCase(), size: Number(size) });
  }
  return entries;
}

/**
 * Reads a `SHA256SUMS` file as the Debian installer's image directories carry it (`sha256sum` output:
 * `<hex>  ./netboot/netboot.tar.gz`, or `*name` for binary mode). Sizes are not in it.
 */
export function parseSha256Sums(text: string): ListedEntry[] {
  const entries: ListedEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.replace(/\r$/, ''));
    if (!m?.[1] || m[2] === undefined) continue;
    const path = m[2].replace(/^(\.\/)+/, '');
    if (isRelativePath(path)) entries.push({ path, sha256: m[1].toLowerCase() });
  }
  return entries;
}

/** A path that stays under the directory it is relative to: no `/` at the start, no `.` or `..` segment. */
export function isRelativePath(path: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (path === '' || path.startsWith('/') || /[\\\u0000-\u001f]/.test(path)) return false;
  return path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
