import type { Repository } from './repositories.js';

/**
 * Which repository file a client asks for. Two request forms reach the cache (protocol-digest §8):
 *
 * - proxy form, from apt's `Acquire::http::Proxy` and the installer's `mirror/http/proxy`: an absolute URI,
 *   `GET http://deb.debian.org/debian/pool/…` (RFC 9112 §3.2.2). It is served when its host and path start
 *   with a configured repository's upstream;
 * - mirror form, from `mirror/http/hostname cache:3142` + `mirror/http/directory /debian` or a sources line
 *   `deb http://cache:3142/debian …`: `GET /debian/pool/…`, the first segment naming the repository. An
 *   absolute URI whose path has that form is served the same way (a proxy-configured client with a mirror-style
 *   URL).
 *
 * Anything else is refused: the cache fetches only from configured upstreams (no open proxy). Pure.
 */
export type RequestTarget =
  | {
      readonly kind: 'file';
      readonly repository: Repository;
      /** Decoded path segments under the repository root: the cache key and the name in Packages `Filename:`. */
      readonly segments: readonly string[];
    }
  | { readonly kind: 'refused'; readonly status: 400 | 403 | 404; readonly reason: string };

export function resolveTarget(requestTarget: string, repositories: readonly Repository[]): RequestTarget {
  let host: string | undefined;
  let path = requestTarget;
  if (!requestTarget.startsWith('/')) {
    if (!URL.canParse(requestTarget)) return refused(400, 'the request target is neither a path nor a URL');
    const url = new URL(requestTarget);
    // CONNECT never gets here; an https:// absolute URI would ask us to open TLS on the client's behalf.
    if (url.protocol !== 'http:') return refused(400, `only http:// URLs are proxied, not ${url.protocol}`);
    if (url.username !== '' || url.password !== '') return refused(400, 'URLs with credentials are refused');
    // Checked on the parsed URL: in `http://host?/debian/pool/x.deb` the raw text after the host looks like a path.
    if (url.search !== '' || url.hash !== '') return refused(400, 'queries are not served by the cache');
    host = url.host.toLowerCase();
    path = requestTarget.slice(requestTarget.indexOf('/', url.protocol.length + 2)) || '/';
    if (!path.startsWith('/')) path = '/';
  }
  // A query would make two names for one file (and apt never sends one); a fragment never reaches a server.
  if (path.includes('?') || path.includes('#')) return refused(400, 'queries are not served by the cache');
  const decoded = decodeSegments(path);
  if (typeof decoded === 'string') return refused(400, decoded);

  if (host !== undefined) {
    const byUpstream = matchUpstream(host, decoded, repositories);
    if (byUpstream) return byUpstream;
  }
  const [first, ...rest] = decoded;
  const repository = repositories.find((r) => r.name === first);
  if (repository) return file(repository, rest);
  return host === undefined
    ? refused(404, `no repository is named "${first ?? ''}"; configured: ${names(repositories)}`)
    : refused(403, `${host} is not a configured repository upstream (fleetboot is not an open proxy)`);
}

function matchUpstream(
  host: string,
  segments: readonly string[],
  repositories: readonly Repository[],
): RequestTarget | undefined {
  let best: { repository: Repository; depth: number } | undefined;
  for (const repository of repositories) {
    const upstream = new URL(repository.upstream);
    if (upstream.host.toLowerCase() !== host) continue;
    const prefix = upstream.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const matches = prefix.every((p, i) => segments[i] === p);
    if (matches && (best === undefined || prefix.length > best.depth))
      best = { repository, depth: prefix.length };
  }
  return best && file(best.repository, segments.slice(best.depth));
}

function file(repository: Repository, segments: readonly string[]): RequestTarget {
  if (segments.length === 0) return refused(404, `the root of repository "${repository.name}" is not a file`);
  return { kind: 'file', repository, segments };
}

/**
 * Splits and percent-decodes the path (apt encodes `+` and `~` in package names), dropping empty segments
 * (`/debian//pool`). Refuses what could name a file outside the repository or two names for one file: `.`,
 * `..`, encoded `/` or `\`, NUL and control characters, bad escapes (catalogue H01).
 */
function decodeSegments(path: string): string[] | string {
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return 'the path has a malformed %-escape';
    }
    if (segment === '.' || segment === '..') return 'the path may not contain "." or ".." segments';
    // eslint-disable-next-line no-control-regex
    if (/[/\\\u0000-\u001f\u007f]/.test(segment))
      return 'the path has an encoded slash or a control character';
    segments.push(segment);
  }
  return segments;
}

const refused = (status: 400 | 403 | 404, reason: string): RequestTarget => ({
  kind: 'refused',
  status,
  reason,
});
const names = (repositories: readonly Repository[]): string =>
  repositories.length === 0 ? 'none' : repositories.map((r) => r.name).join(', ');

/** The upstream URL of a file: each segment re-encoded, so a name with `+` or a space reaches upstream intact. */
export function upstreamUrl(repository: Repository, segments: readonly string[]): string {
  return `${repository.upstream}/${segments.map(encodeURIComponent).join('/')}`;
}
