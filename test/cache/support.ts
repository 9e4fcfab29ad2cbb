import { createHash } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCacheListener } from '../../src/cache/cache-listener.js';
import { createCacheMetrics } from '../../src/cache/cache-metrics.js';
import { LOOPBACK } from '../../src/cache/client-access.js';
import { PackageCache } from '../../src/cache/package-cache.js';
import type { Repository } from '../../src/cache/repositories.js';
import { createUpstreamClient } from '../../src/cache/upstream.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { Ipv4Subnet } from '../../src/values/ipv4.js';
import { memoryLogger } from '../support/logger.js';

/** How the test upstream answers one path. */
export interface UpstreamFile {
  body: Buffer;
  status?: number;
  /** Sends Content-Length of the whole body but only this many bytes, then closes (a truncated download). */
  truncateAt?: number;
  /** Sends the body in 16 KiB chunks with this pause between them, so requests overlap. */
  chunkDelayMs?: number;
  lastModified?: string;
  /** Sends no Content-Length: the body goes out chunked, its size unknown until it ends. */
  chunked?: boolean;
}

/** A mirror on loopback built by the test; `requests` lists every path asked, `conditional` those with validators. */
export interface TestUpstream {
  readonly url: string;
  readonly files: Map<string, UpstreamFile>;
  readonly requests: string[];
  readonly conditional: string[];
  count(path: string): number;
  close(): Promise<void>;
}

export async function startUpstream(): Promise<TestUpstream> {
  const files = new Map<string, UpstreamFile>();
  const requests: string[] = [];
  const conditional: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const file = files.get(decodeURIComponent(path));
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not here\n');
      return;
    }
    const ims = req.headers['if-modified-since'];
    if (ims !== undefined) conditional.push(path);
    if (ims !== undefined && file.lastModified !== undefined && ims === file.lastModified) {
      res.writeHead(304).end();
      return;
    }
    const headers: Record<string, string> = file.chunked
      ? {}
      : { 'content-length': String(file.body.length) };
    if (file.lastModified !== undefined) headers['last-modified'] = file.lastModified;
    res.writeHead(file.status ?? 200, headers);
    const body = file.truncateAt === undefined ? file.body : file.body.subarray(0, file.truncateAt);
    void (async () => {
      for (let offset = 0; offset < body.length; offset += 16 * 1024) {
        if (res.destroyed) return;
        res.write(body.subarray(offset, offset + 16 * 1024));
        if (file.chunkDelayMs) await new Promise((r) => setTimeout(r, file.chunkDelayMs));
      }
      // Truncation: close the connection once the bytes written so far have been flushed.
      if (file.truncateAt === undefined) res.end();
      else res.socket?.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    files,
    requests,
    conditional,
    count: (path) => requests.filter((r) => decodeURIComponent(r) === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

export interface Fetched {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The connection ended before Content-Length bytes arrived. */
  cut: boolean;
}

/** One GET to the cache; `target` is sent as the request target as is (absolute URI for proxy form). */
export function get(
  cacheAddress: string,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Fetched> {
  const [host, port] = splitHostPort(cacheAddress);
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path: target, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = (cut: boolean) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), cut });
      };
      res.on('end', () => {
        done(!res.complete);
      });
      res.on('error', () => {
        done(true);
      });
      res.on('aborted', () => {
        done(true);
      });
    });
    // A CONNECT answer arrives as 'connect', whatever its status.
    req.on('connect', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0), cut: false });
    });
    req.on('error', reject);
    req.end();
  });
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Deterministic pseudo-random bytes: a stand-in package body of a given size. */
export function bytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed || 1;
  for (let i = 0; i < size; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A Packages index naming `files` (path → body), as dpkg-scanpackages writes the three fields the cache reads. */
export function packagesIndex(files: Record<string, Buffer>): string {
  return Object.entries(files)
    .map(([path, body], i) =>
      [
        `Package: p${i}`,
        'Version: 1',
        `Filename: ${path}`,
        `Size: ${body.length}`,
        `SHA256: ${sha256(body)}`,
        '',
      ].join('\n'),
    )
    .join('\n');
}

/** A Release file's SHA256 field for `files` (path relative to the Release's directory → body), as apt-ftparchive writes it. */
export function releaseFile(files: Record<string, Buffer>): string {
  return [
    'Origin: fleetboot-test',
    'Suite: t',
    'Acquire-By-Hash: yes',
    'SHA256:',
    ...Object.entries(files).map(
      ([path, body]) => ` ${sha256(body)} ${String(body.length).padStart(8)} ${path}`,
    ),
    '',
  ].join('\n');
}

export interface CacheOptions {
  readonly upstream: TestUpstream;
  readonly root: string;
  readonly now: () => number;
  readonly quotaBytes?: number;
  readonly allow?: Ipv4Subnet[];
  readonly repositories?: readonly Repository[];
}

export interface RunningCache {
  readonly address: string;
  readonly cache: PackageCache;
  readonly stop: () => Promise<void>;
  /** The sum of a Prometheus series, over the label values given. */
  readonly counter: (name: string, labels?: Record<string, string>) => Promise<number>;
  readonly savings: () => ReturnType<ReturnType<typeof createCacheMetrics>['savings']>;
  readonly logs: () => Record<string, unknown>[];
}

/** A package cache on loopback, in front of the test upstream (repository `debian` unless told otherwise). */
export async function startCache(options: CacheOptions): Promise<RunningCache> {
  const metrics = createMetrics({ processMetrics: false });
  const cacheMetrics = createCacheMetrics(metrics);
  const log = memoryLogger();
  const cache = new PackageCache({
    repositories: options.repositories ?? [{ name: 'debian', upstream: `${options.upstream.url}/debian` }],
    allow: options.allow ?? [LOOPBACK],
    root: options.root,
    quotaBytes: options.quotaBytes ?? 1024 * 1024 * 1024,
    indexMaxAgeMs: 60_000,
    upstream: createUpstreamClient({ userAgent: 'test', timeoutMs: 5000 }),
    logger: log.logger,
    metrics: cacheMetrics,
    now: options.now,
  });
  const listener = createCacheListener({ listen: { host: '127.0.0.1', port: 0 }, cache, logger: log.logger });
  await listener.start(() => undefined);
  return {
    address: listener.address(),
    cache,
    stop: () => listener.stop(),
    counter: async (name, labels = {}) => {
      const metric = (await metrics.getMetricsAsJSON()).find((m) => m.name === name);
      const values = (metric?.values ?? []) as { value: number; labels: Record<string, string> }[];
      return values
        .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
        .reduce((sum, v) => sum + v.value, 0);
    },
    savings: () => cacheMetrics.savings(),
    logs: log.lines,
  };
}

/** A primary.xml naming `files` (location → body), in createrepo_c's layout (the fields the cache reads, and some it skips). */
export function primaryXml(files: Record<string, Buffer>): string {
  const packages = Object.entries(files).map(
    ([href, body], i) => `<package type="rpm">
  <name>p${i}</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/>
  <checksum type="sha256" pkgid="YES">${sha256(body)}</checksum>
  <summary>test &amp; package</summary>
  <description><![CDATA[a <description>]]></description>
  <size package="${body.length}" installed="1" archive="2"/>
  <location href="${href}"/>
  <format><rpm:license>MIT</rpm:license><rpm:provides><rpm:entry name="p${i}"/></rpm:provides></format>
</package>`,
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${packages.length}">`,
    ...packages,
    '</metadata>',
    '',
  ].join('\n');
}

/** A repomd.xml listing `files` (type → [location, body]), as createrepo_c writes it. */
export function repomdXml(files: Record<string, [string, Buffer]>): string {
  const data = Object.entries(files).map(
    ([type, [href, body]]) => `  <data type="${type}">
    <checksum type="sha256">${sha256(body)}</checksum>
    <open-checksum type="sha256">${'0'.repeat(64)}</open-checksum>
    <location href="${href}"/>
    <timestamp>1700000000</timestamp>
    <size>${body.length}</size>
  </data>`,
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">',
    '  <revision>1700000000</revision>',
    ...data,
    '</repomd>',
    '',
  ].join('\n');
}
