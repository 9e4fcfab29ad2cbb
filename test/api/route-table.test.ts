// Deny by default in the table itself (reliability-catalogue S01): a route without an access level, a
// state-changing one without an audit action or a public one that changes state cannot be mounted.
import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { checkRouteTable, defineRoute, RouteTableError } from '../../src/api/route.js';

const base = defineRoute({
  method: 'GET',
  url: '/things',
  operationId: 'listThings',
  summary: 'Things.',
  tag: 'test',
  access: 'viewer',
  response: Type.Object({}),
  handler: async () => Promise.resolve({}),
});

describe('route table', () => {
  it('accepts a table where every route has an access level and every change an audit action', () => {
    expect(() => {
      checkRouteTable([
        base,
        {
          ...base,
          method: 'POST',
          operationId: 'addThing',
          audit: { action: 'thing.add', target: () => '' },
        },
      ]);
    }).not.toThrow();
  });

  it.each<[string, Record<string, unknown>]>([
    ['no access level', { access: undefined }],
    ['an unknown access level', { access: 'root' }],
    ['a change without an audit action', { method: 'DELETE' }],
    ['a public change', { method: 'PUT', access: 'public', audit: { action: 'x', target: () => '' } }],
    ['a malformed operationId', { operationId: 'list-things' }],
  ])('refuses %s', (_what, change) => {
    expect(() => {
      // Built as JavaScript would: the types forbid these, the check must hold without them.
      checkRouteTable([Object.assign({}, base, change)]);
    }).toThrow(RouteTableError);
  });

  it('refuses the same route or operationId twice', () => {
    expect(() => {
      checkRouteTable([base, base]);
    }).toThrow(RouteTableError);
    expect(() => {
      checkRouteTable([base, { ...base, url: '/others' }]);
    }).toThrow(/operationId/);
  });
});
