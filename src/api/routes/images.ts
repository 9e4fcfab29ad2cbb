// OS images of the catalog (catalog/catalog.ts). Imports run from the CLI on the server (`fleetboot os import`):
// an API that took a source path would let a caller read any file the server can (catalogue S15).
import type { Catalog } from '../../catalog/catalog.js';
import { ApiError } from '../errors.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { EmptySchema, ImageParamsSchema, OsImageListSchema, OsImageSchema } from '../schemas.js';

function imageNotFound(name: string): ApiError {
  return new ApiError(
    'FLEETBOOT_IMAGE_NOT_FOUND',
    `no OS image named ${name}; GET /api/v1/images lists them`,
  );
}

export function imageRoutes(catalog: Catalog): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/images',
      operationId: 'listImages',
      summary: 'Imported OS images.',
      tag: 'images',
      access: 'viewer',
      response: OsImageListSchema,
      handler: async () => ({ items: await catalog.list() }),
    }),
    defineRoute({
      method: 'GET',
      url: '/images/:name',
      operationId: 'getImage',
      summary: 'One OS image, with its files and their SHA-256.',
      tag: 'images',
      access: 'viewer',
      params: ImageParamsSchema,
      response: OsImageSchema,
      handler: async ({ params }) => {
        const image = await catalog.get(params.name);
        if (image === undefined) throw imageNotFound(params.name);
        return image;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/images/:name',
      operationId: 'removeImage',
      summary: 'Remove an OS image and its files from the boot root.',
      tag: 'images',
      access: 'admin',
      audit: { action: 'image.remove', target: ({ params }) => params.name },
      params: ImageParamsSchema,
      response: EmptySchema,
      handler: async ({ params }) => {
        if (!(await catalog.remove(params.name))) throw imageNotFound(params.name);
        return {};
      },
    }),
  ];
}
