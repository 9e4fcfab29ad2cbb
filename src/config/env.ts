import Type, { type TSchema } from 'typebox';
import { isRecord } from '../values/guards.js';
import type { ConfigDiagnostic, ConfigPath } from './diagnostics.js';
import { formatPath } from './diagnostics.js';
import { describeExpected, propertiesOf, type ScalarType, scalarTypeOf } from './schema-walk.js';
import { normalizeKey, suggest } from './suggest.js';

// FLEETBOOT_… environment variables override single settings of fleetboot.yaml: `__` separates levels and each
// level matches a key ignoring case and `_` (FLEETBOOT_TFTP__MAX_TRANSFERS → tftp.maxTransfers). A variable with
// the prefix that names no setting is an error, because a typo that silently does nothing is the worst outcome
// for a boot server; the few variables that are not settings are listed here.

export const ENV_PREFIX = 'FLEETBOOT_';

/** FLEETBOOT_ variables that are not configuration settings, and who reads them. */
export const NON_CONFIG_ENV: Readonly<Record<string, string>> = {
  FLEETBOOT_CONFIG: 'path of the config file, when `--config` is not given',
  FLEETBOOT_URL: 'URL of the fleetboot API the CLI talks to',
  FLEETBOOT_TOKEN: 'API token the CLI sends',
  FLEETBOOT_TEST_POSTGRES_URL: 'PostgreSQL server the test suite runs the store conformance tests against',
  FLEETBOOT_REQUIRE_LAB:
    'when set, network-lab tests fail instead of skipping where namespaces are unavailable',
};

export interface EnvOverride {
  readonly path: readonly string[];
  readonly variable: string;
  readonly value: unknown;
}

/** A setting that one environment variable can set. */
export interface EnvSetting {
  readonly path: readonly string[];
  readonly variable: string;
  readonly type: ScalarType;
}

/** `['tftp', 'maxTransfers']` → `FLEETBOOT_TFTP__MAX_TRANSFERS`. */
export function envVariableName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((key) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__');
}

/** Every setting that can come from the environment: the scalars and string lists, not lists of mappings. */
export function envSettings(schema: TSchema, prefix: readonly string[] = []): EnvSetting[] {
  return Object.entries(propertiesOf(schema)).flatMap(([key, child]) => {
    const path = [...prefix, key];
    if (Type.IsObject(child)) return envSettings(child, path);
    const type = scalarTypeOf(child);
    return type === undefined ? [] : [{ path, variable: envVariableName(path), type }];
  });
}

/** Reads the FLEETBOOT_ variables of `env` as overrides, coerced to the types the schema expects. */
export function readEnvOverrides(
  schema: TSchema,
  env: NodeJS.ProcessEnv,
): { overrides: EnvOverride[]; diagnostics: ConfigDiagnostic[] } {
  const overrides: EnvOverride[] = [];
  const diagnostics: ConfigDiagnostic[] = [];
  const settings = envSettings(schema);
  const claimed = new Map<string, string>();
  const names = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && !Object.hasOwn(NON_CONFIG_ENV, name))
    .sort();
  for (const variable of names) {
    const raw = env[variable];
    if (raw === undefined) continue;
    const resolved = resolve(schema, variable);
    if (resolved.kind === 'unknown') {
      diagnostics.push({
        origin: { kind: 'env', variable },
        path: '',
        message: 'unknown setting',
        hint: unknownHint(variable, settings),
      });
      continue;
    }
    if (resolved.kind === 'error') {
      diagnostics.push({ origin: { kind: 'env', variable }, path: '', ...resolved.problem });
      continue;
    }
    const { path, type } = resolved;
    const key = formatPath(path);
    const earlier = claimed.get(key);
    if (earlier !== undefined) {
      diagnostics.push({
        origin: { kind: 'env', variable },
        path: key,
        message: `also set by ${earlier}`,
        hint: `unset one of them; use ${envVariableName(path)}`,
      });
      continue;
    }
    claimed.set(key, variable);
    overrides.push({ path, variable, value: coerce(raw, type) });
  }
  return { overrides, diagnostics };
}

type Resolved =
  | { kind: 'setting'; path: string[]; type: ScalarType }
  | { kind: 'unknown' }
  | { kind: 'error'; problem: { message: string; hint: string } };

function resolve(root: TSchema, variable: string): Resolved {
  const steps = variable.slice(ENV_PREFIX.length).split('__');
  const path: string[] = [];
  let schema: TSchema = root;
  for (const step of steps) {
    const match = Object.entries(propertiesOf(schema)).find(
      ([key]) => normalizeKey(key) === normalizeKey(step),
    );
    if (step === '' || match === undefined) return { kind: 'unknown' };
    path.push(match[0]);
    schema = match[1];
  }
  const type = scalarTypeOf(schema);
  if (Type.IsObject(schema)) {
    const example = envVariableName([...path, Object.keys(schema.properties)[0] ?? 'key']);
    return {
      kind: 'error',
      problem: {
        message: `${formatPath(path)} is a section, not a setting`,
        hint: `set its keys one by one, such as ${example}`,
      },
    };
  }
  if (type === undefined) {
    return {
      kind: 'error',
      problem: {
        message: `${formatPath(path)} (${describeExpected(schema)}) cannot be set from the environment`,
        hint: 'write it in fleetboot.yaml',
      },
    };
  }
  return { kind: 'setting', path, type };
}

/** A likely intended variable for a typo, or where to look. */
function unknownHint(variable: string, settings: readonly EnvSetting[]): string {
  // The non-settings are candidates too: FLEETBOOT_TOKENS is a typo of FLEETBOOT_TOKEN, not of a setting. The
  // shared prefix is left out of the comparison, or every name would look close to every other.
  const candidates = [...settings.map((s) => s.variable), ...Object.keys(NON_CONFIG_ENV)];
  const suffix = (name: string): string => name.slice(ENV_PREFIX.length);
  const match = suggest(suffix(variable), candidates.map(suffix));
  if (match === undefined) return 'not a setting; see docs/configuration.md for the FLEETBOOT_ variables';
  const guess = ENV_PREFIX + match;
  // Same letters, other underscores: most likely one `_` where the level separator `__` belongs.
  const separators =
    normalizeKey(guess) === normalizeKey(variable) ? ' (a double underscore separates levels)' : '';
  return `did you mean ${guess}?${separators}`;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/**
 * The environment only holds strings: turn them into what the schema expects when they plainly are one, and
 * leave them as strings otherwise so that validation reports them with the usual "expected …, got …".
 */
export function coerce(raw: string, type: ScalarType): unknown {
  const text = raw.trim();
  switch (type) {
    case 'integer':
      return /^[+-]?\d+$/.test(text) ? Number(text) : raw;
    case 'boolean':
      if (TRUE.has(text.toLowerCase())) return true;
      if (FALSE.has(text.toLowerCase())) return false;
      return raw;
    case 'string list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    case 'string':
    case 'enum':
      return raw;
  }
}

/** Writes each override into the parsed file, creating the sections it needs. */
export function applyEnvOverrides(config: Record<string, unknown>, overrides: readonly EnvOverride[]): void {
  for (const { path, value } of overrides) {
    let node: Record<string, unknown> = config;
    const parents = path.slice(0, -1);
    const last = path.at(-1);
    let reachable = last !== undefined;
    for (const key of parents) {
      const next = node[key] ?? {};
      // A section the file wrote as something else (`tftp: 5`) is reported by validation; leave it alone.
      if (!isRecord(next)) {
        reachable = false;
        break;
      }
      node[key] = next;
      node = next;
    }
    if (reachable && last !== undefined) node[last] = value;
  }
}

export function isEnvPath(path: ConfigPath, overrides: readonly EnvOverride[]): EnvOverride | undefined {
  return overrides.find((o) => o.path.every((step, i) => path[i] === step));
}
