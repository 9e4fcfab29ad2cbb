import { describe, expect, it } from 'vitest';
import { resolveTarget, upstreamUrl } from '../../src/cache/request-target.js';

const debian = { name: 'debian', upstream: 'http://deb.debian.org/debian' };
const security = { name: 'debian-security', upstream: 'http://deb.debian.org/debian-security' };
const vendor = { name: 'vendor', upstream: 'https://repo.example/apt/stable' };
const repos = [debian, security, vendor];

describe('resolveTarget', () => {
  it.each([
    // proxy form (apt Acquire::http::Proxy, d-i mirror/http/proxy): absolute URI on a configured upstream
    [
      'http://deb.debian.org/debian/pool/main/h/hello/hello_2.10-3_amd64.deb',
      debian,
      'pool/main/h/hello/hello_2.10-3_amd64.deb',
    ],
    [
      'http://DEB.debian.org/debian-security/dists/bookworm-security/InRelease',
      security,
      'dists/bookworm-security/InRelease',
    ],
    // an https upstream is reached by its host and path; the client speaks plain http to the proxy
    ['http://repo.example/apt/stable/dists/x/Release', vendor, 'dists/x/Release'],
    // mirror form (mirror/http/hostname cache:3142 + directory /debian)
    ['/debian/dists/bookworm/main/binary-amd64/Release', debian, 'dists/bookworm/main/binary-amd64/Release'],
    // mirror form through the proxy (any host: only the repository name selects the upstream)
    ['http://cache.lab:3142/debian/pool/main/a/a.deb', debian, 'pool/main/a/a.deb'],
    // apt percent-encodes + and ~; the key is the decoded name, as Packages writes it
    [
      '/debian/pool/main/g/gcc/libstdc%2b%2b6_12.2.0-14%7edeb12u1_amd64.deb',
      debian,
      'pool/main/g/gcc/libstdc++6_12.2.0-14~deb12u1_amd64.deb',
    ],
    ['/debian//dists//bookworm/InRelease', debian, 'dists/bookworm/InRelease'],
  ])('%s', (target, repository, path) => {
    expect(resolveTarget(target, repos)).toEqual({ kind: 'file', repository, segments: path.split('/') });
  });

  it.each([
    ['http://evil.example/etc/passwd', 403],
    ['http://deb.debian.org/ubuntu/dists/x/Release', 403],
    ['https://deb.debian.org/debian/dists/x/Release', 400],
    ['ftp://deb.debian.org/debian/x', 400],
    ['http://user:pw@deb.debian.org/debian/x', 400],
    ['/debian/../../etc/passwd', 400],
    ['/debian/%2e%2e/%2e%2e/etc/passwd', 400],
    ['/debian/pool%2fmain/x.deb', 400],
    ['/debian/a%5cb', 400],
    ['/debian/a%00.deb', 400],
    ['/debian/%zz', 400],
    ['/debian/dists/x/Release?foo=1', 400],
    // A query or fragment right after the host: the path after it must not pass for the URL's path.
    ['http://deb.debian.org?/debian/pool/main/x.deb', 400],
    ['http://deb.debian.org#/debian/pool/main/x.deb', 400],
    ['/ubuntu/dists/x/Release', 404],
    ['/debian', 404],
    ['/', 404],
    ['*', 400],
  ])('refuses %s with %i', (target, status) => {
    expect(resolveTarget(target, repos)).toMatchObject({ kind: 'refused', status });
  });

  it('picks the longest upstream prefix', () => {
    const nested = { name: 'ports', upstream: 'http://deb.debian.org/debian/ports' };
    expect(resolveTarget('http://deb.debian.org/debian/ports/x.deb', [debian, nested])).toMatchObject({
      repository: nested,
      segments: ['x.deb'],
    });
  });
});

describe('upstreamUrl', () => {
  it('re-encodes each segment', () => {
    expect(upstreamUrl(debian, ['pool', 'libstdc++6_1~a b.deb'])).toBe(
      'http://deb.debian.org/debian/pool/libstdc%2B%2B6_1~a%20b.deb',
    );
  });
});
