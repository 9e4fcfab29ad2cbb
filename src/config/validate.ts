import type { TSchema } from 'typebox';
import { Settings } from 'typebox/system';
import Value from 'typebox/value';
import type { ConfigDiagnostic, ConfigOrigin, ConfigPath } from './diagnostics.js';
import { formatPath } from './diagnostics.js';
import { describeExpected, describeSetting, describeValue, propertiesOf, schemaAt } from './schema-walk.js';
import { suggest } from './suggest.js';

/** Where the value (or, with `key`, the key) at a path was written. */
export type Locate = (path: ConfigPath, options?: { key?: boolean }) => ConfigOrigin;

// TypeBox stops collecting after Settings.maxErrors (8 by default, a guard for untrusted input). A config file is
// the operator's own and is small, and they want every problem in one run; the cap still bounds a hostile file.
const MAX_ERRORS = 500;

/** Every way `value` breaks the schema, one diagnostic per key, each saying what was expected and where. */
export function schemaDiagnostics(schema: TSchema, value: unknown, locate: Locate): ConfigDiagnostic[] {
  const diagnostics: ConfigDiagnostic[] = [];
  const reported = new Set<string>();
  for (const error of allErrors(schema, value)) {
    const parent = toPath(error.instancePath, value);
    if (error.keyword === 'additionalProperties') {
      for (const name of error.params.additionalProperties) {
        diagnostics.push(unknownKey(schema, [...parent, name], locate));
      }
    } else if (error.keyword === 'required') {
      for (const name of error.params.requiredProperties) {
        diagnostics.push(missingKey(schema, parent, name, locate));
      }
    } else if (error.keyword === 'boolean') {
      // `additionalProperties: false` also reports each extra key as "schema is false"; the
      // additionalProperties error above already covers it, with a suggestion.
    } else if (!reported.has(error.instancePath)) {
      // One message per key, however many keywords (type, minimum, format, refine…) it broke.
      reported.add(error.instancePath);
      diagnostics.push(wrongValue(schema, parent, valueAt(value, parent), error.keyword, locate));
    }
  }
  return diagnostics;
}

function allErrors(schema: TSchema, value: unknown): ReturnType<typeof Value.Errors> {
  const previous = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: MAX_ERRORS });
  try {
    return Value.Errors(schema, value);
  } finally {
    Settings.Set({ maxErrors: previous });
  }
}

function unknownKey(root: TSchema, path: ConfigPath, locate: Locate): ConfigDiagnostic {
  const name = String(path.at(-1));
  const valid = Object.keys(propertiesOf(schemaAt(root, path.slice(0, -1))));
  const guess = suggest(name, valid);
  const hint =
    guess !== undefined
      ? `did you mean \`${guess}\`?`
      : `valid keys ${path.length === 1 ? 'at the top level' : 'here'}: ${valid.join(', ')}`;
  return { origin: locate(path, { key: true }), path: formatPath(path), message: 'unknown key', hint };
}

function missingKey(root: TSchema, parent: ConfigPath, name: string, locate: Locate): ConfigDiagnostic {
  const schema = schemaAt(root, [...parent, name]);
  const description = describeSetting(root, [...parent, name]);
  return {
    origin: locate(parent),
    path: formatPath([...parent, name]),
    message: `required, expected ${schema === undefined ? 'a value' : describeExpected(schema)}`,
    ...(description === undefined ? {} : { hint: description }),
  };
}

function wrongValue(
  root: TSchema,
  path: ConfigPath,
  value: unknown,
  keyword: string,
  locate: Locate,
): ConfigDiagnostic {
  const schema = schemaAt(root, path);
  const description = describeSetting(root, path);
  const duplicate = keyword === 'uniqueItems' && Array.isArray(value) ? firstDuplicate(value) : undefined;
  const message =
    duplicate !== undefined
      ? `lists ${describeValue(duplicate, path)} more than once`
      : `expected ${schema === undefined ? 'a valid value' : describeExpected(schema, value)}, got ${describeValue(value, path)}`;
  return {
    origin: locate(path),
    path: formatPath(path),
    message,
    ...(description === undefined ? {} : { hint: description }),
  };
}

function firstDuplicate(values: readonly unknown[]): unknown {
  return values.find((v, i) => values.indexOf(v) !== i);
}

/** `/dhcp/subnets/0/pools` → ['dhcp', 'subnets', 0, 'pools']: numbers where the data has a list. */
function toPath(pointer: string, root: unknown): ConfigPath {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const step = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key = Array.isArray(node) ? Number(step) : step;
    path.push(key);
    node = valueAt(node, [key]);
  }
  return path;
}

function valueAt(root: unknown, path: ConfigPath): unknown {
  let node = root;
  for (const step of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[step];
  }
  return node;
}
