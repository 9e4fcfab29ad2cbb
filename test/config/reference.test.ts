import { readFileSync } from 'node:fs';
import Schema from 'typebox/schema';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { envSettings } from '../../src/config/env.js';
import { renderStarterConfig } from '../../src/config/init.js';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { renderConfigReference } from '../../src/config/reference.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { parseIpv4 } from '../../src/values/ipv4.js';

type JsonObject = Record<string, unknown>;

/** Every `properties` entry of a JSON Schema, with its dotted path. */
function properties(schema: JsonObject, prefix = ''): [string, JsonObject][] {
  const own = Object.entries((schema.properties ?? {}) as Record<string, JsonObject>);
  const items = schema.items as JsonObject | undefined;
  return [
    ...own.flatMap(([key, child]): [string, JsonObject][] => [
      [`${prefix}${key}`, child],
      ...properties(child, `${prefix}${key}.`),
    ]),
    ...(items ? properties(items, prefix.replace(/\.$/, '[].')) : []),
  ];
}

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` generates from the schema (run it after changing the schema)', () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigReference());
  });

  it('names every environment variable and every key', () => {
    const text = renderConfigReference();
    for (const { variable } of envSettings(ConfigSchema)) expect(text).toContain(`\`${variable}\``);
    for (const [key] of properties(configJsonSchema())) {
      expect(text.includes(`\`${key}\``) || text.includes(`## ${key}`), key).toBe(true);
    }
  });
});

describe('configJsonSchema', () => {
  const schema = configJsonSchema();

  it('describes every key, for editor completion', () => {
    const keys = properties(schema);
    expect(keys.length).toBeGreaterThan(30);
    for (const [key, child] of keys) expect(typeof child.description, key).toBe('string');
  });

  it('is plain JSON, without TypeBox internals', () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(JSON.stringify(schema)).not.toContain('~');
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('requires only what has no default, so an editor accepts a short file', () => {
    const at = (node: unknown, ...keys: string[]): JsonObject =>
      keys.reduce<JsonObject>((n, key) => (n[key] ?? {}) as JsonObject, node as JsonObject);
    const subnet = at(schema, 'properties', 'dhcp', 'properties', 'subnets', 'items');
    expect(subnet.required).toEqual(['subnet']);
    expect(at(subnet, 'properties', 'pools', 'items').required).toEqual(['start', 'end']);
    expect(at(subnet, 'properties', 'reservations', 'items').required).toEqual(['mac', 'ip']);
    const bootConfigs = at(schema, 'properties', 'tftp', 'properties', 'bootConfigs', 'properties');
    expect(at(bootConfigs, 'machines', 'items').required).toEqual(['mac']);
    const repository = at(schema, 'properties', 'cache', 'properties', 'repositories', 'items');
    expect(repository.required).toEqual(['name', 'upstream']);
    const item = (list: string) => at(schema, 'properties', list, 'items');
    expect(item('profiles').required).toEqual(['name', 'os', 'template']);
    expect(item('rules').required).toEqual(['profile']);
    expect(item('machines').required).toEqual(['macs']);
    expect(JSON.stringify(schema).match(/"required"/g)).toHaveLength(8);
  });

  it('accepts the starter config and refuses the typo of issue 2, as a stand-alone JSON Schema', () => {
    const validator = Schema.Compile(schema as Parameters<typeof Schema.Compile>[0]);
    const starter: unknown = parse(
      renderStarterConfig({
        interface: 'eth1',
        address: parseIpv4('10.0.0.1'),
        prefixLength: 24,
        mode: 'full',
      }),
    );
    expect(validator.Check(starter)).toBe(true);
    expect(validator.Check({})).toBe(true);
    expect(validator.Check({ tftp: { blocksize: 'big' } })).toBe(false);
    expect(validator.Check({ tftp: { blksize: 1024 } })).toBe(false);
    expect(validator.Check({ dhcp: { mode: 'on' } })).toBe(false);
  });
});
