import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { expectedFor, KINDS, type KindName } from './kinds.js';

// Building blocks of the schema (schema.ts, schema-provision.ts), so every part states kinds, sections and
// bounded integers the same way.

/** A string of a known kind (kinds.ts): checked by its parser, so the schema and the loader agree exactly. */
export function valueOf(
  kind: KindName,
  options: { description?: string; default?: string; maxLength?: number } = {},
) {
  const k = KINDS[kind];
  // An example helps editors where there is no default to show.
  const example = options.default === undefined ? { examples: [k.example] } : {};
  const base = Type.String({ format: k.format, ...example, ...options });
  return Type.Refine(
    base,
    (value) => expectedFor(k, value) === undefined,
    (value) => `expected ${expectedFor(k, value) ?? k.expected}`,
  );
}

export function section<P extends Record<string, TSchema>>(description: string, properties: P) {
  return Type.Object(properties, { description, default: {}, additionalProperties: false });
}

export function integer(description: string, min: number, max: number | undefined, def: number) {
  return Type.Integer({
    description,
    minimum: min,
    ...(max === undefined ? {} : { maximum: max }),
    default: def,
  });
}

/** The items of a list that passed their schema, with their index: the others already have an error each. */
export function validItems<T extends TSchema>(
  schema: T,
  list: unknown,
): { index: number; item: Static<T> }[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown, index) => (Value.Check(schema, item) ? [{ index, item }] : []));
}
