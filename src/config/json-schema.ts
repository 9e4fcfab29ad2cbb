import { ConfigSchema } from './schema.js';

/**
 * The JSON Schema of fleetboot.yaml, for `fleetboot config schema` and editors (a yaml-language-server modeline
 * or `yaml.schemas` in VS Code). Keys with a default are not `required` here: the loader fills them in, and an
 * editor must not flag a short file as incomplete.
 */
export function configJsonSchema(): Record<string, unknown> {
  // The JSON round trip keeps only the enumerable JSON Schema keywords: TypeBox's own markers (`~kind`,
  // `~refine` with its parser functions) are non-enumerable and stay behind.
  const schema = JSON.parse(JSON.stringify(ConfigSchema)) as Record<string, unknown>;
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...(relaxRequired(schema) as object) };
}

function relaxRequired(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(relaxRequired);
  if (typeof node !== 'object' || node === null) return node;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) result[key] = relaxRequired(value);
  const properties = result.properties as Record<string, Record<string, unknown>> | undefined;
  if (Array.isArray(result.required) && properties !== undefined) {
    const required = (result.required as string[]).filter(
      (name) => !Object.hasOwn(properties[name] ?? {}, 'default'),
    );
    if (required.length > 0) result.required = required;
    else delete result.required;
  }
  return result;
}
