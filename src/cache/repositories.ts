import type { AptSource } from './apt-sources.js';

/**
 * A repository the cache proxies: a name (the first path segment of mirror-style URLs, `/debian/…`) and the
 * upstream base URL the files are fetched from. Only these are ever fetched: fleetboot is not an open proxy.
 */
export interface Repository {
  readonly name: string;
  /** `http://` or `https://`, without a trailing slash. */
  readonly upstream: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isRepositoryName(name: string): boolean {
  return NAME.test(name) && name !== '..' && name.length <= 64;
}

/**
 * The repositories named by the server's own apt sources (issue 7, item 1: the default upstream is what the
 * server itself installs from, never a hard-coded mirror). Each distinct http(s) base URL becomes one repository
 * named after its last path segment (`http://deb.debian.org/debian-security` → `debian-security`), or the host
 * when the path is empty; a name taken twice gets the host in front (`mirror.example-debian`). Other schemes
 * (`file:`, `cdrom:`, `mirror+…`) cannot be proxied and are left out.
 */
export function repositoriesFromSources(sources: readonly AptSource[]): Repository[] {
  const bases: URL[] = [];
  for (const source of sources) {
    if (!URL.canParse(source.uri)) continue;
    const url = new URL(source.uri);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.search !== '')
      continue;
    const base = baseOf(url);
    if (!bases.some((b) => baseOf(b) === base)) bases.push(url);
  }
  const repositories: Repository[] = [];
  for (const url of bases) {
    const segments = url.pathname.split('/').filter(Boolean);
    const last = segments.at(-1) ?? url.hostname;
    let name = isRepositoryName(last) ? last : url.hostname;
    if (repositories.some((r) => r.name === name)) name = `${url.hostname}-${name}`;
    for (let n = 2; repositories.some((r) => r.name === name); n += 1) name = `${url.hostname}-${last}-${n}`;
    repositories.push({ name, upstream: baseOf(url) });
  }
  return repositories;
}

function baseOf(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`.replace(/\/+$/, '');
}
