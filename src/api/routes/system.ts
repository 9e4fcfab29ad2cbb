// Health, version and the API's own description: the only public routes (GET only).
import Type from 'typebox';
import { defineRoute, type AnyRoute } from '../route.js';
import { DOCS_CSP, docsPage } from '../docs-page.js';
import { openApiDocument } from '../openapi.js';
import { HealthSchema, VersionSchema } from '../schemas.js';

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly components: Readonly<Record<string, 'up' | 'down' | 'off'>>;
}

export function systemRoutes(options: {
  readonly health: () => HealthReport;
  readonly version: string;
  /** The whole table, this part included: what the description describes. */
  readonly table: () => readonly AnyRoute[];
}): AnyRoute[] {
  const { version } = options;
  return [
    defineRoute({
      method: 'GET',
      url: '/health',
      operationId: 'getHealth',
      summary:
        'Each component: up, down or off (GET /healthz answers 503 when one is down, for load balancers).',
      tag: 'system',
      access: 'public',
      response: HealthSchema,
      handler: async () => Promise.resolve(options.health()),
    }),
    defineRoute({
      method: 'GET',
      url: '/version',
      operationId: 'getVersion',
      summary: 'The version of fleetboot.',
      tag: 'system',
      access: 'public',
      response: VersionSchema,
      handler: async () => Promise.resolve({ name: 'fleetboot', version }),
    }),
    defineRoute({
      method: 'GET',
      url: '/openapi.json',
      operationId: 'getOpenApi',
      summary: 'This API as an OpenAPI 3.1 document.',
      tag: 'system',
      access: 'public',
      response: Type.Object({}, { additionalProperties: true }),
      handler: async () => Promise.resolve(openApiDocument(options.table(), version)),
    }),
    defineRoute({
      method: 'GET',
      url: '/docs',
      operationId: 'getDocs',
      summary: 'This API as a page to read.',
      tag: 'system',
      access: 'public',
      response: Type.String(),
      produces: 'text/html',
      handler: async ({ reply }) => {
        void reply.type('text/html; charset=utf-8').header('content-security-policy', DOCS_CSP);
        return Promise.resolve(docsPage(options.table(), version));
      },
    }),
  ];
}
