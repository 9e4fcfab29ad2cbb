// API tokens over the API, for admins; `fleetboot token create` makes the first one without a server.
import type { Store } from '../../store/types.js';
import { ApiError } from '../errors.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  CreatedTokenSchema,
  NewTokenBodySchema,
  TokenListSchema,
  TokenNameParamsSchema,
  TokenSchema,
} from '../schemas.js';
import { createApiToken } from '../tokens.js';

export function tokenRoutes(store: Store): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/tokens',
      operationId: 'listTokens',
      summary: 'API tokens: names, roles, creation and revocation times (never the tokens or their hashes).',
      tag: 'tokens',
      access: 'admin',
      response: TokenListSchema,
      handler: async () => ({ items: await store.tokens.list() }),
    }),
    defineRoute({
      method: 'POST',
      url: '/tokens',
      operationId: 'createToken',
      summary: 'Create an API token; the response carries it this once.',
      tag: 'tokens',
      access: 'admin',
      audit: { action: 'token.create', target: ({ body }) => body.name },
      body: NewTokenBodySchema,
      response: CreatedTokenSchema,
      status: 201,
      handler: async ({ body, principal }) =>
        createApiToken(store.tokens, { ...body, createdBy: principal?.name ?? 'api' }),
    }),
    defineRoute({
      method: 'DELETE',
      url: '/tokens/:name',
      operationId: 'revokeToken',
      summary: 'Revoke an API token: it stops working at once. Its name stays taken.',
      tag: 'tokens',
      access: 'admin',
      audit: { action: 'token.revoke', target: ({ params }) => params.name },
      params: TokenNameParamsSchema,
      response: TokenSchema,
      handler: async ({ params }) => {
        const token = await store.tokens.revoke(params.name);
        if (token === undefined) {
          throw new ApiError(
            'FLEETBOOT_TOKEN_NOT_FOUND',
            `no API token named ${params.name}; GET /api/v1/tokens lists them`,
          );
        }
        return token;
      },
    }),
  ];
}
