import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type AptSource,
  type AptSourcesProblem,
  parseDeb822Sources,
  parseOneLineSources,
} from './apt-sources.js';

/**
 * Reads the apt sources of a system the way apt does (sources.list(5)): `<dir>/sources.list`, then
 * `<dir>/sources.list.d/*.list` (one-line) and `*.sources` (deb822) in name order. Files with other names
 * (`.disabled`, `.save`, editor backups) are ignored, as apt ignores them. A missing file or directory is no
 * problem: a system may have only one of them.
 */
export async function readAptSources(
  aptDir: string,
): Promise<{ sources: AptSource[]; problems: AptSourcesProblem[] }> {
  const sources: AptSource[] = [];
  const problems: AptSourcesProblem[] = [];
  const add = (parsed: { sources: readonly AptSource[]; problems: readonly AptSourcesProblem[] }): void => {
    sources.push(...parsed.sources);
    problems.push(...parsed.problems);
  };
  const main = path.join(aptDir, 'sources.list');
  const text = await readOptional(main);
  if (text !== undefined) add(parseOneLineSources(text, main));
  const partsDir = path.join(aptDir, 'sources.list.d');
  const names = (await readdir(partsDir).catch(() => [] as string[])).sort();
  for (const name of names) {
    // apt's rule for part names: letters, digits, `_`, `-`, `.` only.
    if (!/^[A-Za-z0-9_.-]+\.(list|sources)$/.test(name)) continue;
    const file = path.join(partsDir, name);
    const content = await readOptional(file);
    if (content === undefined) continue;
    add(name.endsWith('.list') ? parseOneLineSources(content, file) : parseDeb822Sources(content, file));
  }
  return { sources, problems };
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}
