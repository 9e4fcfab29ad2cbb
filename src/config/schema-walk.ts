import Type, { type TSchema } from 'typebox';
import { isSecretName, REDACTED, redactCredentials } from '../values/redact.js';
import type { ConfigPath } from './diagnostics.js';
import { expectedFor, kindByFormat } from './kinds.js';

// Reading the schema back: which schema governs a path, and how to say in words what it accepts. Error messages,
// environment overrides and the reference docs all use this, so they cannot disagree with the validator.

/** The schema governing the value at `path`, or undefined when the path names no setting. */
export function schemaAt(root: TSchema, path: ConfigPath): TSchema | undefined {
  let schema: TSchema | undefined = root;
  for (const step of path) {
    if (schema === undefined) return undefined;
    if (Type.IsObject(schema) && typeof step === 'string') {
      schema = Object.hasOwn(schema.properties, step) ? schema.properties[step] : undefined;
    } else if (Type.IsArray(schema) && typeof step === 'number') {
      schema = schema.items;
    } else {
      return undefined;
    }
  }
  return schema;
}

export function propertiesOf(schema: TSchema | undefined): Record<string, TSchema> {
  return schema !== undefined && Type.IsObject(schema) ? schema.properties : {};
}

/** A JSON Schema keyword of `schema`; TypeBox's types name only some of them. */
export function keyword(schema: TSchema, name: string): unknown {
  return Object.hasOwn(schema, name) ? (schema as Record<string, unknown>)[name] : undefined;
}

/** The description of the setting at `path`, or of the nearest enclosing one that has a description. */
export function describeSetting(root: TSchema, path: ConfigPath): string | undefined {
  for (let depth = path.length; depth > 0; depth--) {
    const description = descriptionOf(schemaAt(root, path.slice(0, depth)));
    if (description !== undefined) return description;
  }
  return undefined;
}

export function descriptionOf(schema: TSchema | undefined): string | undefined {
  const description = schema === undefined ? undefined : keyword(schema, 'description');
  return typeof description === 'string' ? description : undefined;
}

export function defaultOf(schema: TSchema): { value: unknown } | undefined {
  return Object.hasOwn(schema, 'default') ? { value: keyword(schema, 'default') } : undefined;
}

/** Kinds of value that can be written as one environment variable (see env.ts). */
export type ScalarType = 'string' | 'integer' | 'boolean' | 'enum' | 'string list';

export function scalarTypeOf(schema: TSchema): ScalarType | undefined {
  if (Type.IsString(schema)) return 'string';
  if (Type.IsInteger(schema)) return 'integer';
  if (Type.IsBoolean(schema)) return 'boolean';
  if (Type.IsEnum(schema)) return 'enum';
  if (Type.IsArray(schema) && Type.IsString(schema.items)) return 'string list';
  return undefined;
}

/** What the schema accepts, as the end of "expected …": `an integer from 512 to 65464`. */
export function describeExpected(schema: TSchema, value?: unknown): string {
  const kind = kindByFormat(keyword(schema, 'format'));
  if (kind !== undefined) return expectedFor(kind, value) ?? kind.expected;
  if (Type.IsInteger(schema))
    return describeRange('an integer', keyword(schema, 'minimum'), keyword(schema, 'maximum'));
  if (Type.IsBoolean(schema)) return 'true or false';
  if (Type.IsEnum(schema)) return `one of ${schema.enum.join(', ')}`;
  if (Type.IsString(schema))
    return keyword(schema, 'minLength') === undefined ? 'a string' : 'a non-empty string';
  if (Type.IsArray(schema)) {
    const unique = keyword(schema, 'uniqueItems') === true ? ' without duplicates' : '';
    return `a list${unique}, each ${describeExpected(schema.items)}`;
  }
  if (Type.IsObject(schema)) return 'a mapping';
  return 'a valid value';
}

function describeRange(noun: string, min: unknown, max: unknown): string {
  if (typeof min === 'number' && typeof max === 'number') return `${noun} from ${min} to ${max}`;
  if (typeof min === 'number') return `${noun} of at least ${min}`;
  if (typeof max === 'number') return `${noun} of at most ${max}`;
  return noun;
}

/**
 * The "got …" part of a message: strings quoted so that `"big"` and `big` and `""` are told apart. Diagnostics go
 * to stderr and so to journald (catalogue I7): the value of a key at `path` that looks secret is never shown, and
 * any URL password in a string is masked (a refused `store:` still holds the real database password).
 */
export function describeValue(value: unknown, path: ConfigPath = []): string {
  if (value === null || value === undefined) return 'nothing';
  if (path.some((step) => typeof step === 'string' && isSecretName(step))) return JSON.stringify(REDACTED);
  if (typeof value === 'string') return JSON.stringify(redactCredentials(value));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}
