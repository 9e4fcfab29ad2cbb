import { StringDecoder } from 'node:string_decoder';
import { SaxesParser } from 'saxes';
import { isRelativePath, type ListedEntry } from './release-file.js';

/**
 * Readers for the two rpm-md files the cache checks against (createrepo_c's format, as dnf and yum read it):
 * `repodata/repomd.xml`, which lists each metadata file with its SHA-256 and size, and the `primary` metadata,
 * which lists each package with its SHA-256 (`pkgid`), size and location.
 *
 * XML from upstream is read with saxes, a streaming, conformant parser that never expands an entity beyond the
 * five predefined ones and character references, and never fetches anything: a DOCTYPE (where entity
 * declarations would live: XXE, "billion laughs") is refused outright, since rpm-md files have none. Only the
 * few values read are collected, each bounded; the input itself is bounded by its caller.
 */

export class XmlMetadataError extends Error {
  override readonly name = 'XmlMetadataError';
}

/** Text collected for one element at most (a checksum or a size; anything longer is malformed). */
const MAX_VALUE_CHARS = 256;

interface XmlHandlers {
  open(name: string, attributes: Readonly<Record<string, string>>, depth: number): void;
  close(name: string, depth: number): void;
  /** Whether the text of the element just opened is wanted (checksum, size). */
  wantsText(): boolean;
  text(value: string): void;
}

async function parseXml(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  handlers: XmlHandlers,
): Promise<void> {
  const parser = new SaxesParser({ xmlns: false, position: true });
  let depth = 0;
  let collecting = false;
  let collected = '';
  parser.on('doctype', () => {
    throw new XmlMetadataError('a DOCTYPE is not accepted in rpm metadata');
  });
  parser.on('opentag', (tag) => {
    depth += 1;
    handlers.open(tag.name, tag.attributes, depth);
    collecting = handlers.wantsText();
    collected = '';
  });
  parser.on('text', (text) => {
    if (!collecting) return;
    collected += text;
    if (collected.length > MAX_VALUE_CHARS) throw new XmlMetadataError('a value is longer than it can be');
  });
  parser.on('closetag', (tag) => {
    if (collecting) handlers.text(collected.trim());
    collecting = false;
    handlers.close(tag.name, depth);
    depth -= 1;
  });
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of chunks) parser.write(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    parser.write(decoder.end());
    parser.close();
  } catch (error) {
    if (error instanceof XmlMetadataError) throw error;
    throw new XmlMetadataError(error instanceof Error ? error.message : String(error));
  }
}

export interface RepomdEntry extends ListedEntry {
  /** `primary`, `filelists`, `other`, `updateinfo`, … */
  readonly type: string;
}

/**
 * The files `repomd.xml` lists, by path relative to the repository root (the directory holding `repodata/`).
 * An entry without a SHA-256 checksum (old repositories use sha1), without a size, or with an `xml:base`
 * (a file elsewhere) is left out: what it names can then not be kept.
 */
export async function parseRepomd(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
): Promise<RepomdEntry[]> {
  const entries: RepomdEntry[] = [];
  let data:
    | { type: string; sha256?: string; size?: number; href?: string | undefined; elsewhere: boolean }
    | undefined;
  let field: 'checksum' | 'size' | undefined;
  await parseXml(chunks, {
    open(name, attributes, depth) {
      field = undefined;
      if (depth === 2 && name === 'data') data = { type: attributes.type ?? '', elsewhere: false };
      if (depth !== 3 || data === undefined) return;
      if (name === 'checksum' && attributes.type === 'sha256') field = 'checksum';
      else if (name === 'size') field = 'size';
      else if (name === 'location') {
        data.href = attributes.href;
        data.elsewhere = attributes['xml:base'] !== undefined;
      }
    },
    wantsText: () => field !== undefined,
    text(value) {
      if (data === undefined) return;
      if (field === 'checksum') data.sha256 = value.toLowerCase();
      if (field === 'size' && /^\d{1,15}$/.test(value)) data.size = Number(value);
    },
    close(name, depth) {
      if (depth !== 2 || name !== 'data' || data === undefined) return;
      const { type, sha256, size, href, elsewhere } = data;
      data = undefined;
      if (elsewhere || href === undefined || !isRelativePath(href) || size === undefined) return;
      if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) return;
      entries.push({ type, path: href, sha256, size });
    },
  });
  return entries;
}

/**
 * The packages a `primary` metadata file lists: location (relative to the repository root) → SHA-256 and
 * size. Packages whose checksum is not SHA-256, or that live elsewhere (`xml:base`), are left out.
 */
export async function parsePrimary(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
): Promise<{ files: Map<string, { size: number; sha256: string }>; skipped: number }> {
  const files = new Map<string, { size: number; sha256: string }>();
  let skipped = 0;
  let pkg: { sha256?: string; size?: number; href?: string | undefined; elsewhere: boolean } | undefined;
  let inChecksum = false;
  await parseXml(chunks, {
    open(name, attributes, depth) {
      inChecksum = false;
      if (depth === 2 && name === 'package') pkg = { elsewhere: false };
      if (depth !== 3 || pkg === undefined) return;
      if (name === 'checksum') inChecksum = attributes.type === 'sha256';
      else if (name === 'size') {
        const size = attributes.package;
        if (size !== undefined && /^\d{1,15}$/.test(size)) pkg.size = Number(size);
      } else if (name === 'location') {
        pkg.href = attributes.href;
        pkg.elsewhere = attributes['xml:base'] !== undefined;
      }
    },
    wantsText: () => inChecksum,
    text(value) {
      if (pkg !== undefined && inChecksum) pkg.sha256 = value.toLowerCase();
    },
    close(name, depth) {
      if (depth !== 2 || name !== 'package' || pkg === undefined) return;
      const { sha256, size, href, elsewhere } = pkg;
      pkg = undefined;
      if (
        elsewhere ||
        href === undefined ||
        !isRelativePath(href) ||
        size === undefined ||
        sha256 === undefined ||
        !/^[0-9a-f]{64}$/.test(sha256)
      ) {
        skipped += 1;
        return;
      }
      files.set(href, { size, sha256 });
    },
  });
  return { files, skipped };
}
