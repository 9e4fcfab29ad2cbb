// The OpenAPI document and the docs page are generated from the route table: every route is there, every $ref
// resolves, every schema is a JSON Schema TypeBox compiles, and the page loads nothing from elsewhere.
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { openApiPath } from '../../src/api/openapi.js';
import { apiHarness } from './harness.js';

type Json = Record<string, unknown>;

/** Every `$ref` anywhere in a JSON value. */
function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === '$ref' && typeof v === 'string' ? [v] : refs(v),
  );
}

function resolve(document: Json, ref: string): unknown {
  expect(ref.startsWith('#/'), ref).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], document);
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with every route of the table, its role and resolvable schemas', async () => {
    const h = await apiHarness();
    const res = await h.app.inject({ url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<Json & { paths: Record<string, Record<string, Json>> }>();
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(h.routes.map((r) => `${r.method} ${openApiPath(r.url)}`).sort());

    for (const route of h.routes) {
      const op = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()] as Json & {
        parameters: { name: string; in: string; schema: unknown }[];
        responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
      };
      expect(op.operationId).toBe(route.operationId);
      expect(op['x-fleetboot-role']).toBe(route.access);
      expect(op.security).toEqual(route.access === 'public' ? [] : [{ bearerToken: [] }]);
      if (route.access !== 'public')
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
      // Path templates and path parameters agree.
      const inPath = [...openApiPath(route.url).matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(op.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(inPath);
      // Every schema compiles as JSON Schema.
      const schemas = [
        ...op.parameters.map((p) => p.schema),
        ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}).map((c) => c.schema)),
      ];
      for (const schema of schemas) {
        const resolved =
          (schema as Json).$ref === undefined ? schema : resolve(doc, (schema as Json).$ref as string);
        expect(() => Compile(resolved as TSchema), route.operationId).not.toThrow();
      }
    }
    for (const ref of refs(doc)) expect(resolve(doc, ref), ref).toBeDefined();
    expect(JSON.stringify(doc)).not.toContain('~kind');
  });

  it('has a docs page listing every route, escaped, with a CSP and nothing loaded from elsewhere', async () => {
    const h = await apiHarness();
    const res = await h.app.inject({ url: '/api/v1/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    for (const route of h.routes) expect(res.body).toContain(`<code>${openApiPath(route.url)}</code>`);
    expect(res.body).not.toMatch(/<script|https?:\/\//);
  });
});
