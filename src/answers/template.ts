import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Liquid, type Template } from 'liquidjs';
import { parse as parseYaml } from 'yaml';
import { ANSWER_FORMATS, type AnswerFormat } from '../inventory/profile.js';
import { AnswerRenderError } from './errors.js';
import { ANSWER_FILTERS } from './filters.js';
import { liquidProblem } from './liquid-error.js';

/** The templates fleetboot ships, in the package's top-level `templates/` (works from src/ via tsx and from dist/). */
export const BUILTIN_TEMPLATES = ['debian-preseed', 'ubuntu-autoinstall', 'kickstart'] as const;
export const BUILTIN_TEMPLATE_ROOT = fileURLToPath(new URL('../../templates/', import.meta.url));

/** Each template directory describes itself in this file: `format` and the `files` it serves. */
export const MANIFEST = 'template.yaml';

// Bounds on what a template directory may hold: a template is a few text files, not a place to read a disk from.
const MAX_FILES = 64;
const MAX_FILE_BYTES = 256 * 1024;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A loaded answer template: its files parsed once, and a liquid engine that sees only the regular files of the
 * template's own directory (an `include` of anything else, `../` or an absolute path included, is "not found").
 */
export class AnswerTemplate {
  /** @internal */
  constructor(
    /** The built-in name, or the directory's absolute path. */
    readonly name: string,
    readonly format: AnswerFormat,
    /** The files a machine fetches, e.g. `['user-data', 'meta-data']`. */
    readonly files: readonly string[],
    readonly directory: string,
    /** @internal */
    readonly engine: Liquid,
    /** @internal */
    readonly parsed: ReadonlyMap<string, Template[]>,
    /** @internal The text of every file, by name: what the engine can include. */
    readonly sources: ReadonlyMap<string, string>,
  ) {}
}

/**
 * Loads a built-in template by name, or a template directory by absolute path (a directory holding
 * `template.yaml` and the files it names; other files in it may be included). Throws AnswerRenderError.
 */
export async function loadAnswerTemplate(nameOrPath: string): Promise<AnswerTemplate> {
  const builtin = (BUILTIN_TEMPLATES as readonly string[]).includes(nameOrPath);
  if (!builtin && !path.isAbsolute(nameOrPath)) {
    throw new AnswerRenderError(
      nameOrPath,
      MANIFEST,
      undefined,
      undefined,
      `is neither a built-in template (${BUILTIN_TEMPLATES.join(', ')}) nor an absolute path to a template directory`,
    );
  }
  const directory = builtin ? path.join(BUILTIN_TEMPLATE_ROOT, nameOrPath) : path.resolve(nameOrPath);
  const fail = (file: string, reason: string): never => {
    throw new AnswerRenderError(nameOrPath, file, undefined, undefined, reason);
  };
  const sources = await readTemplateDirectory(directory, fail);
  const manifestText = sources.get(MANIFEST) ?? fail(MANIFEST, `is missing from ${directory}`);
  const { format, files } = parseManifest(manifestText, sources, (reason) => fail(MANIFEST, reason));

  const mapping: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [file, text] of sources) if (file !== MANIFEST) mapping[file] = text;
  const engine = answerEngine(mapping);
  const includable = new Map(Object.entries(mapping));
  const parsed = new Map<string, Template[]>();
  for (const file of files) {
    try {
      parsed.set(file, engine.parse(mapping[file] ?? '', file));
    } catch (error) {
      const problem = liquidProblem(error, includable);
      throw new AnswerRenderError(
        nameOrPath,
        problem.file ?? file,
        problem.line,
        problem.variable,
        problem.reason,
      );
    }
  }
  return new AnswerTemplate(nameOrPath, format, files, directory, engine, parsed, includable);
}

/** A liquid engine over an in-memory set of files, strict, with the answer filters and nothing else to reach. */
function answerEngine(mapping: Record<string, string>): Liquid {
  const engine = new Liquid({
    templates: mapping,
    strictVariables: true,
    strictFilters: true,
    // `{% if urls.proxy %}` and `| default:` on an absent value are how a template reads optional variables; an
    // absent variable written out is still an error.
    lenientIf: true,
    // Only the context's own members: `{{ machine.constructor }}` is undefined, not a function (catalogue H06).
    ownPropertyOnly: true,
    cache: true,
    parseLimit: 1_000_000,
    renderLimit: 2_000,
    memoryLimit: 16_000_000,
  });
  for (const [name, filter] of Object.entries(ANSWER_FILTERS)) engine.registerFilter(name, filter);
  return engine;
}

async function readTemplateDirectory(
  directory: string,
  fail: (file: string, reason: string) => never,
): Promise<Map<string, string>> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    return fail(MANIFEST, `cannot read the template directory ${directory}: ${(error as Error).message}`);
  }
  // Regular files only: a symbolic link could point anywhere on the server.
  const names = entries.filter((entry) => entry.isFile() && FILE_NAME.test(entry.name)).map((e) => e.name);
  if (names.length > MAX_FILES) fail(MANIFEST, `${directory} holds more than ${MAX_FILES} files`);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const sources = new Map<string, string>();
  for (const name of names.sort()) {
    const bytes = await readFile(path.join(directory, name));
    if (bytes.length > MAX_FILE_BYTES) fail(name, `is larger than ${MAX_FILE_BYTES} bytes`);
    try {
      sources.set(name, decoder.decode(bytes));
    } catch {
      fail(name, 'is not UTF-8 text');
    }
  }
  return sources;
}

function parseManifest(
  text: string,
  sources: ReadonlyMap<string, string>,
  fail: (reason: string) => never,
): { format: AnswerFormat; files: string[] } {
  let manifest: unknown;
  try {
    manifest = parseYaml(text);
  } catch (error) {
    return fail(`is not YAML: ${(error as Error).message}`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    return fail('must be a mapping with format and files');
  }
  const { format, files } = manifest as { format?: unknown; files?: unknown };
  if (typeof format !== 'string' || !(ANSWER_FORMATS as readonly string[]).includes(format)) {
    return fail(`format must be one of ${ANSWER_FORMATS.join(', ')}`);
  }
  if (!Array.isArray(files) || files.length === 0 || !files.every((f) => typeof f === 'string')) {
    return fail('files must be a non-empty list of file names');
  }
  for (const file of files) {
    if (file === MANIFEST || !sources.has(file))
      fail(`files names ${JSON.stringify(file)}, which is not in it`);
  }
  return { format: format as AnswerFormat, files };
}
