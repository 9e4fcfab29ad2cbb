// The OpenAPI 3.1 document of /api/v1, generated from the route table (route.ts) so it cannot drift from what is
// served: every route, its role, its parameters and bodies as the TypeBox schemas that validate them. OpenAPI 3.1
// takes JSON Schema 2020-12 as is, so the schemas go in unchanged.
import type { TSchema } from 'typebox';
import { API_ERRORS } from './errors.js';
import { API_PREFIX, type AnyRoute } from './route.js';
import { ErrorSchema } from './schemas.js';

type Json = Record<string, unknown>;

/** A plain-JSON copy of a schema: TypeBox's own markers are non-enumerable and left behind. */
function plain(schema: TSchema): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}

/** `/machines/:id` → `/api/v1/machines/{id}`. */
export function openApiPath(url: string): string {
  return API_PREFIX + url.replace(/:([A-Za-z]+)/g, '{$1}');
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

function errorResponse(description: string): Json {
  return { description, content: { 'application/json': { schema: ERROR_REF } } };
}

function parameters(location: 'path' | 'query', schema: TSchema | undefined): Json[] {
  if (schema === undefined) return [];
  const object = plain(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === 'path' || (object.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
      // Arrays in the query are sent as the parameter repeated: `?state=ready&state=failed`.
      ...(rest.type === 'array' ? { style: 'form', explode: true } : {}),
    };
  });
}

function operation(route: AnyRoute): Json {
  const produces = route.produces ?? 'application/json';
  const responses: Json = {
    [String(route.status ?? 200)]: {
      description: route.summary,
      content: { [produces]: { schema: plain(route.response) } },
    },
    '400': errorResponse('The request is malformed: the message names the field.'),
    '500': errorResponse('An internal error; the server log has the details.'),
    '503': errorResponse('The database is unavailable or busy; nothing was changed.'),
  };
  if (route.access !== 'public') {
    responses['401'] = errorResponse('No valid API token.');
    responses['403'] = errorResponse(`The token's role is below ${route.access}.`);
    responses['429'] = errorResponse('Too many failed authentications from this address; see Retry-After.');
  }
  if (route.params !== undefined) responses['404'] = errorResponse('No such resource.');
  if (route.method !== 'GET') responses['409'] = errorResponse('A conflict: the message says with what.');
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: route.access === 'public' ? [] : [{ bearerToken: [] }],
    'x-fleetboot-role': route.access,
    parameters: [...parameters('path', route.params), ...parameters('query', route.query)],
    ...(route.body === undefined
      ? {}
      : { requestBody: { required: true, content: { 'application/json': { schema: plain(route.body) } } } }),
    responses,
  };
}

export function openApiDocument(routes: readonly AnyRoute[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'fleetboot API',
      version,
      description:
        'Every call but health, version and this description needs `Authorization: Bearer <token>` ' +
        '(`fleetboot token create --name NAME --role viewer|operator|admin`). Roles: viewer < operator < admin. ' +
        `Errors are \`{"error": {"code", "message"}}\`; the codes are stable: ${Object.keys(API_ERRORS).join(', ')}.`,
    },
    paths,
    components: {
      schemas: { Error: plain(ErrorSchema) },
      securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer' } },
    },
  };
}
