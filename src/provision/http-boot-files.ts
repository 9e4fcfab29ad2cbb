import type { FileHandle } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ExternalSource } from '../catalog/catalog.js';
import type { HttpApp } from '../net/http-app.js';
import { chooseRange } from '../net/http-range.js';
import {
  lookUpInRoot,
  openFound,
  RootFileRefused,
  type RootLookup,
  type RootPolicy,
} from '../net/tftp-root-file.js';
import type { Logger } from '../observability/logger.js';
import { resolveTftpPath } from '../protocol/tftp/index.js';

/** The same rules as the TFTP roots (catalogue T07, P7): a file TFTP refuses, HTTP refuses too. */
const POLICY: RootPolicy = { refuseHardLinks: true, requireWorldReadable: true };

/** What `/boot/<path>` serves: the roots in TFTP order, and the install trees the catalog serves from elsewhere. */
export interface BootFilesDeps {
  /** `tftp.roots`, then the boot root. */
  readonly roots: readonly string[];
  /**
   * The catalog's external sources, asked on each request so an import or removal is served at once: a RHEL-like
   * tree imported as a directory is recorded, not copied, and its `path` under the boot root stands for its
   * `directory` (docs/os-images.md). Absent: none.
   */
  readonly externalSources?: () => Promise<readonly ExternalSource[]>;
  /**
   * Told of every GET once its response has ended (the machine's timeline, http-boot.ts). Not told of the files of
   * an install tree (`images/<name>/tree/…`): anaconda fetches thousands; the kernel, initrd and ISO it booted
   * from are on the timeline already.
   */
  readonly onFetched?: (fetch: BootFileFetch) => void;
  readonly logger: Logger;
}

/** One `GET /boot/<path>` as it ended. */
export interface BootFileFetch {
  /** The peer address, as Node reports it. */
  readonly address: string;
  /** Canonical, relative to the roots; the request's own text when it was refused before that. */
  readonly file: string;
  readonly status: number;
  /** What the response said it would send (Content-Length); 0 without a body. */
  readonly bytes: number;
  /** False when the client went away before the last byte. */
  readonly complete: boolean;
  readonly range?: string;
  readonly ms: number;
}

/**
 * `GET`/`HEAD /boot/<path>`: the files TFTP serves as `<path>`, over HTTP (design.md §4: "move bytes to HTTP as
 * early as the client allows"), from the same roots in the same order (`tftp.roots`, then the boot root), through
 * the same canonicalisation (`resolveTftpPath`: no `..`, no control characters) and root checks (realpath inside
 * the root, regular files only, re-checked on the open descriptor). A path under an image's external source
 * (`images/<name>/tree/…`, anaconda's `inst.repo=`) is looked up in that directory alone, as one more root with the
 * same checks: a symlink in the tree leaving it is refused like one leaving the boot root. With `Content-Length`
 * (EDK2 HTTP boot issues HEAD then GET and needs it, protocol-digest §2.7), one byte range per request (RFC 9110
 * §14: 206, or 416 past the end; several ranges get the whole file), and the types EDK2 and installers look at.
 */
/** The file each request asked for, for onResponse; none for install-tree files (not on the timeline). */
const requestFiles = new WeakMap<FastifyRequest, string>();

export function registerBootFiles(app: HttpApp, deps: BootFilesDeps): void {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/boot/*',
    exposeHeadRoute: false,
    onResponse: (request, reply, done) => {
      const fetched = requestFiles.get(request);
      if (fetched !== undefined && request.method === 'GET' && deps.onFetched !== undefined) {
        deps.onFetched({
          address: request.ip,
          file: fetched,
          status: reply.statusCode,
          bytes: Number(reply.getHeader('content-length') ?? 0),
          complete: reply.raw.writableFinished,
          ...(request.headers.range === undefined ? {} : { range: request.headers.range }),
          ms: Math.round(reply.elapsedTime),
        });
      }
      done();
    },
    handler: async (request, reply) => {
      const requested = (request.params as Record<string, string | undefined>)['*'] ?? '';
      requestFiles.set(request, requested);
      const resolved = resolveTftpPath(requested);
      if (!resolved.ok) return notFound(reply, deps.logger, resolved.reason);
      requestFiles.set(request, resolved.relative);
      const external = externalRootOf((await deps.externalSources?.()) ?? [], resolved.relative);
      if (external !== undefined) requestFiles.delete(request);
      const found =
        external === undefined
          ? await findInRoots(deps.roots, resolved.relative)
          : await lookUpInRoot(external.directory, external.relative, POLICY);
      if (found.kind !== 'found') {
        return notFound(reply, deps.logger, found.kind === 'refused' ? found.reason : 'not-found');
      }
      let handle: FileHandle;
      try {
        handle = await openFound(found);
      } catch (error) {
        if (error instanceof RootFileRefused) return notFound(reply, deps.logger, error.reason);
        throw error;
      }
      return sendFile(request, reply, handle, resolved.relative, found.stats);
    },
  });
}

/**
 * The external source `relative` lies under, with the rest of the path inside its directory. Matched on segment
 * boundaries (`images/x/tree-other` is not under `images/x/tree`); the source's own path names the directory, never
 * a file, and is left to the lookup to refuse. No fall-through to the roots: the path belongs to the image.
 */
function externalRootOf(
  sources: readonly ExternalSource[],
  relative: string,
): { directory: string; relative: string } | undefined {
  for (const source of sources) {
    if (relative === source.path) return { directory: source.directory, relative: '' };
    if (relative.startsWith(`${source.path}/`)) {
      return { directory: source.directory, relative: relative.slice(source.path.length + 1) };
    }
  }
  return undefined;
}

async function findInRoots(roots: readonly string[], relative: string): Promise<RootLookup> {
  for (const root of roots) {
    const lookup = await lookUpInRoot(root, relative, POLICY);
    if (lookup.kind !== 'absent') return lookup;
  }
  return { kind: 'absent' };
}

async function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  handle: FileHandle,
  relative: string,
  stats: { readonly size: number; readonly mtime: Date },
): Promise<FastifyReply> {
  const size = stats.size;
  const lastModified = stats.mtime.toUTCString();
  // RFC 9110 §13.1.5: a Range whose If-Range does not name this version gets the whole file.
  const ifRange = request.headers['if-range'];
  const range = chooseRange(
    ifRange === undefined || ifRange === lastModified ? request.headers.range : undefined,
    size,
  );
  reply.header('accept-ranges', 'bytes').header('last-modified', lastModified).type(contentTypeOf(relative));
  if (range.kind === 'unsatisfiable') {
    await handle.close();
    return reply.code(416).header('content-range', `bytes */${size}`).send();
  }
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
  if (range.kind === 'partial') reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
  reply.header('content-length', String(end - start + 1));
  if (request.method === 'HEAD' || size === 0) {
    await handle.close();
    return reply.send();
  }
  // The stream closes the descriptor when it ends or the client goes away.
  return reply.send(handle.createReadStream({ start, end }));
}

function notFound(reply: FastifyReply, logger: Logger, reason: string): FastifyReply {
  // The reason stays in the debug log: the client learns only "not found", as over TFTP.
  logger.debug({ reason }, 'boot file not served');
  return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
}

/**
 * EDK2 HTTP boot decides what it downloaded from `Content-Type` (`application/efi`, `application/vnd.efi-iso`,
 * `application/vnd.efi-img`) before the extension (protocol-digest §2.7); configs and scripts are text.
 */
export function contentTypeOf(relative: string): string {
  const base = relative.slice(relative.lastIndexOf('/') + 1).toLowerCase();
  const extension = base.includes('.') ? base.slice(base.lastIndexOf('.')) : '';
  if (extension === '.efi') return 'application/efi';
  if (extension === '.iso') return 'application/vnd.efi-iso';
  if (['.cfg', '.conf', '.txt', '.ipxe', '.lst'].includes(extension) || relative.includes('pxelinux.cfg/')) {
    return 'text/plain; charset=utf-8';
  }
  return 'application/octet-stream';
}
