import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Catalog } from '../../src/catalog/catalog.js';
import { memoryLogger } from '../support/logger.js';

/** The tree Debian's debian-installer-12-netboot-amd64 package installs (scripts/setup-test.sh installs it). */
export const DEBIAN_NETBOOT_TREE = '/usr/lib/debian-installer/images/12/amd64/text';

/** A fixed import time, so manifests compare exactly. */
export const IMPORTED_AT = Date.UTC(2026, 10, 27, 12, 0, 0);

export interface CatalogFixture {
  readonly dir: string;
  readonly bootRoot: string;
  readonly catalog: Catalog;
  readonly lines: () => Record<string, unknown>[];
  cleanup(): void;
}

export function catalogFixture(): CatalogFixture {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-catalog-'));
  const bootRoot = path.join(dir, 'boot');
  const { logger, lines } = memoryLogger('info');
  const catalog = new Catalog({ bootRoot, logger, now: () => IMPORTED_AT });
  return {
    dir,
    bootRoot,
    catalog,
    lines,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SHA-256 of a whole file read at once: an independent check of the catalog's streaming hash. */
export function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Writes `files` (relative path → content) under `root`. */
export function writeTree(root: string, files: Readonly<Record<string, string>>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
  return root;
}

/** A small ISO 9660 image with Rock Ridge and Joliet names, built by xorriso from `files`. */
export function buildIso(dir: string, name: string, files: Readonly<Record<string, string>>): string {
  return isoOfTree(dir, name, writeTree(path.join(dir, `${name}-tree`), files));
}

/** An ISO of a directory as it is (symlinks kept as Rock Ridge symlinks). */
export function isoOfTree(dir: string, name: string, tree: string): string {
  const iso = path.join(dir, `${name}.iso`);
  execFileSync(
    'xorriso',
    ['-as', 'mkisofs', '-quiet', '-R', '-J', '-V', name.toUpperCase(), '-o', iso, tree],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return iso;
}

/** Entries of a directory, or [] when it does not exist. */
export function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
