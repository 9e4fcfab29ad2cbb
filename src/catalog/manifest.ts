// `<bootRoot>/images/<name>/image.json`: the manifest beside an image's files. Read back with every field checked,
// and every path confined to the boot root, since main.ts serves what it names to anyone on the network.
import { CatalogError } from './errors.js';
import {
  LOADER_KINDS,
  OS_ARCHES,
  OS_FAMILIES,
  type LoaderKind,
  type OsImage,
  type OsImageFile,
} from '../inventory/os-image.js';
import { isOneOf, isRecord } from '../values/guards.js';
import { isImageName } from './names.js';

export const MANIFEST_FILE = 'image.json';
export const MANIFEST_FORMAT = 1;

/**
 * An install tree served from outside the boot root (a RHEL-like DVD tree imported by path, never copied): the
 * boot-root-relative `path` (the image's `installSource`) stands for the absolute `directory`. Serving it is an
 * explicit extra root, confined like the boot root itself (docs/os-images.md).
 */
export interface ExternalSource {
  readonly path: string;
  readonly directory: string;
}

/** What the catalog knows of an image: the shared OsImage contract and what only boot wiring needs. */
export interface CatalogImage extends OsImage {
  /** Where the image's signed GRUB reads `grub.cfg`, relative to the boot root (its embedded prefix). */
  readonly grubPrefix?: string;
  readonly externalSource?: ExternalSource;
}

export class ManifestError extends CatalogError {
  override readonly name = 'ManifestError';
}

export function serializeManifest(image: CatalogImage): string {
  return `${JSON.stringify({ format: MANIFEST_FORMAT, ...image }, null, 2)}\n`;
}

/** Parses and checks a manifest read from `file`; `name` is the directory it was found in. */
export function parseManifest(text: string, file: string, name: string): CatalogImage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${file}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const fail = (field: string, expected: string): never => {
    throw new ManifestError(`${file}: ${field}: expected ${expected}`);
  };
  if (!isRecord(value)) return fail('(top)', 'an object');
  if (value.format !== MANIFEST_FORMAT) fail('format', String(MANIFEST_FORMAT));
  if (value.name !== name || !isImageName(name)) fail('name', `"${name}" (its directory)`);
  const inBootRoot = (field: string, candidate: unknown): string =>
    typeof candidate === 'string' && isConfinedPath(candidate)
      ? candidate
      : fail(field, 'a path relative to the boot root, without ".." or a leading "/"');
  const text_ = (field: string): string => {
    const candidate = value[field];
    return typeof candidate === 'string' && candidate !== '' ? candidate : fail(field, 'a non-empty string');
  };
  const family = isOneOf(OS_FAMILIES, value.family) ? value.family : fail('family', OS_FAMILIES.join(', '));
  const arch = isOneOf(OS_ARCHES, value.arch) ? value.arch : fail('arch', OS_ARCHES.join(', '));
  const initrds =
    Array.isArray(value.initrds) && value.initrds.length > 0 ? value.initrds : fail('initrds', 'a list');
  const loaders: Partial<Record<LoaderKind, string>> = {};
  if (!isRecord(value.loaders)) fail('loaders', 'an object');
  for (const [kind, loader] of Object.entries(value.loaders as Record<string, unknown>)) {
    if (!isOneOf(LOADER_KINDS, kind)) fail(`loaders.${kind}`, `one of ${LOADER_KINDS.join(', ')}`);
    loaders[kind as LoaderKind] = inBootRoot(`loaders.${kind}`, loader);
  }
  if (!Array.isArray(value.files)) fail('files', 'a list');
  const files = (value.files as unknown[]).map((entry, index): OsImageFile => {
    if (!isRecord(entry)) return fail(`files[${String(index)}]`, 'an object');
    const sha256 =
      typeof entry.sha256 === 'string' && /^[0-9a-f]{64}$/.test(entry.sha256) ? entry.sha256 : undefined;
    const size =
      typeof entry.size === 'number' && Number.isSafeInteger(entry.size) && entry.size >= 0
        ? entry.size
        : undefined;
    return {
      path: inBootRoot(`files[${String(index)}].path`, entry.path),
      sha256: sha256 ?? fail(`files[${String(index)}].sha256`, '64 lower-case hex digits'),
      size: size ?? fail(`files[${String(index)}].size`, 'a byte count'),
    };
  });
  const importedAt =
    typeof value.importedAt === 'number' && Number.isSafeInteger(value.importedAt)
      ? value.importedAt
      : fail('importedAt', 'epoch milliseconds');
  const image: CatalogImage = {
    name,
    family,
    release: text_('release'),
    arch,
    kernel: inBootRoot('kernel', value.kernel),
    initrds: initrds.map((initrd, index) => inBootRoot(`initrds[${String(index)}]`, initrd)),
    ...(value.installSource === undefined
      ? {}
      : { installSource: inBootRoot('installSource', value.installSource) }),
    loaders,
    files,
    source: text_('source'),
    importedAt,
    ...(value.grubPrefix === undefined ? {} : { grubPrefix: inBootRoot('grubPrefix', value.grubPrefix) }),
    ...(value.externalSource === undefined
      ? {}
      : { externalSource: externalSource(value.externalSource, fail, inBootRoot) }),
  };
  return image;
}

function externalSource(
  value: unknown,
  fail: (field: string, expected: string) => never,
  inBootRoot: (field: string, candidate: unknown) => string,
): ExternalSource {
  if (!isRecord(value)) return fail('externalSource', 'an object');
  const directory =
    typeof value.directory === 'string' && value.directory.startsWith('/')
      ? value.directory
      : fail('externalSource.directory', 'an absolute path');
  return { path: inBootRoot('externalSource.path', value.path), directory };
}

/** A relative, `/`-separated path with no empty, `.` or `..` component: it cannot leave the boot root. */
export function isConfinedPath(candidate: string): boolean {
  if (candidate === '' || candidate.startsWith('/') || candidate.includes('\\') || candidate.includes('\0')) {
    return false;
  }
  return candidate.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}
