import { readFileSync } from 'node:fs';
import path from 'node:path';
import Value from 'typebox/value';
import { isRecord } from '../values/guards.js';
import { buildConfig } from './build.js';
import {
  ConfigError,
  type ConfigDiagnostic,
  type ConfigPath,
  formatPath,
  sortDiagnostics,
} from './diagnostics.js';
import { applyEnvOverrides, type EnvOverride, isEnvPath, readEnvOverrides } from './env.js';
import { checkRules, type RuleProblem } from './rules.js';
import { ConfigSchema } from './schema.js';
import type { FleetbootConfig } from './types.js';
import { type Locate, schemaDiagnostics } from './validate.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';

export { ConfigError } from './diagnostics.js';
export type { ConfigDiagnostic, ConfigOrigin } from './diagnostics.js';

export interface LoadConfigOptions {
  /** The config file; none means the built-in defaults (plus the environment). Relative to `cwd`. */
  readonly path?: string | undefined;
  /** Where FLEETBOOT_… overrides are read from. Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Default: process.cwd(). */
  readonly cwd?: string;
}

export interface LoadedConfig {
  readonly config: FleetbootConfig;
  /** Absolute path of the file that was read, or undefined when there was none. */
  readonly source: string | undefined;
}

/**
 * Reads fleetboot.yaml, applies FLEETBOOT_… overrides, fills in defaults and checks everything. Throws one
 * ConfigError listing every problem found, each with the file:line:column (or variable) it comes from.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.path === undefined ? undefined : path.resolve(cwd, options.path);
  const shown = file === undefined ? '' : displayName(file, cwd);

  const fromEnv = readEnvOverrides(ConfigSchema, env);
  const source = file === undefined ? undefined : readSource(file, shown);
  const fail = (diagnostics: readonly ConfigDiagnostic[]): never => {
    throw new ConfigError(sortDiagnostics(diagnostics));
  };
  if (source !== undefined && source.diagnostics.length > 0) {
    fail([...source.diagnostics, ...fromEnv.diagnostics]);
  }

  const fileValue = source?.value ?? {};
  if (!isRecord(fileValue)) {
    return fail([
      {
        origin: { kind: 'file', file: shown, line: 1, column: 1 },
        path: '',
        message: 'expected a mapping of settings such as `dataDir: data`, got a list or a single value',
      },
    ]);
  }
  const raw = dropEmpty(fileValue);
  applyEnvOverrides(raw, fromEnv.overrides);
  const config = Value.Default(ConfigSchema, raw);

  const locate = locator(source, shown, fromEnv.overrides);
  const written = (p: ConfigPath): boolean =>
    isEnvPath(p, fromEnv.overrides) !== undefined || source?.written(p) === true;
  const diagnostics = [
    ...fromEnv.diagnostics,
    ...schemaDiagnostics(ConfigSchema, config, locate),
    ...checkRules(config).map((problem) => ruleDiagnostic(problem, locate, written)),
  ];
  if (diagnostics.length > 0 || !Value.Check(ConfigSchema, config)) return fail(diagnostics);

  const baseDir = (key: readonly string[]): string =>
    file === undefined || isEnvPath(key, fromEnv.overrides) ? cwd : path.dirname(file);
  return { config: buildConfig(config, baseDir), source: file };
}

function ruleDiagnostic(
  problem: RuleProblem,
  locate: Locate,
  written: (p: ConfigPath) => boolean,
): ConfigDiagnostic {
  const at = problem.at?.find((candidate) => written(candidate)) ?? problem.at?.[0] ?? problem.path;
  return {
    origin: locate(at),
    path: formatPath(problem.path),
    message: problem.message,
    ...(problem.hint === undefined ? {} : { hint: problem.hint }),
  };
}

function readSource(file: string, shown: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new ConfigError([
      {
        origin: { kind: 'file', file: shown, line: 1, column: 1 },
        path: '',
        message: `cannot read the config file: ${reason}`,
        hint: 'run `fleetboot init` to write a starter config, or leave out --config to run on the defaults',
      },
    ]);
  }
  return parseYamlSource(text, shown);
}

/** Names the file as the user would: relative to where they are, when it is below it. */
function displayName(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

function locator(source: YamlSource | undefined, file: string, overrides: readonly EnvOverride[]): Locate {
  return (p, options) => {
    const override = isEnvPath(p, overrides);
    if (override) return { kind: 'env', variable: override.variable };
    if (source === undefined) return { kind: 'defaults' };
    return { kind: 'file', file, ...(source.position(p, options) ?? { line: 1, column: 1 }) };
  };
}

/**
 * A key written with nothing after it (`tftp:` whose lines are all commented out) means "the default", as it
 * reads; YAML makes it null. Dropped here, in mappings only: a null list item is a mistake worth reporting.
 */
function dropEmpty(mapping: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(mapping)) {
    if (value === null) continue;
    const kept = isRecord(value) ? dropEmpty(value) : Array.isArray(value) ? value.map(dropEmptyItem) : value;
    // defineProperty, because assigning a key named `__proto__` would set the prototype instead of a key that
    // validation reports as unknown.
    Object.defineProperty(result, key, { value: kept, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

function dropEmptyItem(value: unknown): unknown {
  return isRecord(value) ? dropEmpty(value) : value;
}
