// The dashboard's three static files — htmx and its SSE extension from node_modules (vendored through npm, no
// CDN: fleetboot runs air-gapped and behind SSH tunnels) and our stylesheet — read once at start and served under a
// path that names their content's hash, so a browser may cache them for a year and still gets a new file with a
// new fleetboot.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  readonly name: string;
  readonly type: string;
  readonly body: Buffer;
  /** The first 16 hex digits of the body's SHA-256: the path segment that changes when the file does. */
  readonly hash: string;
}

const require = createRequire(import.meta.url);

/** `static/` at the top of the package, beside `templates/` (in the source tree and in an installed package). */
const OWN_STATIC = fileURLToPath(new URL('../../static/', import.meta.url));

const SOURCES: readonly { name: string; type: string; path: () => string }[] = [
  {
    name: 'htmx.min.js',
    type: 'text/javascript; charset=utf-8',
    path: () => require.resolve('htmx.org/dist/htmx.min.js'),
  },
  {
    name: 'sse.min.js',
    type: 'text/javascript; charset=utf-8',
    path: () => require.resolve('htmx-ext-sse/dist/sse.min.js'),
  },
  { name: 'dashboard.css', type: 'text/css; charset=utf-8', path: () => `${OWN_STATIC}dashboard.css` },
];

export type StaticFiles = ReadonlyMap<string, StaticFile>;

/** Reads the files; throws when one is missing (an install without its dependencies must not start half-way). */
export function loadStaticFiles(): StaticFiles {
  return new Map(
    SOURCES.map(({ name, type, path }) => {
      const body = readFileSync(path());
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
      return [name, { name, type, body, hash }] as const;
    }),
  );
}

export const STATIC_PREFIX = '/ui/static';

/** The URL of a static file, by name. */
export function staticUrl(files: StaticFiles, name: string): string {
  const file = files.get(name);
  if (file === undefined) throw new Error(`no static file ${name}`);
  return `${STATIC_PREFIX}/${file.hash}/${file.name}`;
}
