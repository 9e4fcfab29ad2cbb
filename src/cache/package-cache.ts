import { finished } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ipv4Subnet } from '../values/ipv4.js';
import type { Logger } from '../observability/logger.js';
import type { CacheMetrics, CacheOutcome } from './cache-metrics.js';
import { clientAllowed } from './client-access.js';
import { DiskStore, type IndexMeta, type KeptFile } from './disk-store.js';
import { classifyFile, readBound, type FileKind } from './file-kind.js';
import { chooseRange } from '../net/http-range.js';
import type { Repository } from './repositories.js';
import { resolveTarget, upstreamUrl } from './request-target.js';
import { Transfer, type BodyHead, type TransferPlan, type TransferStart } from './transfer.js';
import { TrustChain } from './trust-chain.js';
import type { UpstreamClient } from './upstream.js';

export interface PackageCacheOptions {
  readonly repositories: readonly Repository[];
  /** Client networks allowed to use the cache. */
  readonly allow: readonly Ipv4Subnet[];
  /** Directory for data/, meta/ and tmp/. */
  readonly root: string;
  readonly quotaBytes: number;
  /** How long a kept index file is served before upstream is asked again. */
  readonly indexMaxAgeMs: number;
  readonly upstream: UpstreamClient;
  readonly logger: Logger;
  readonly metrics: CacheMetrics;
  /** Wall-clock ms. */
  readonly now: () => number;
}

const OCTET_STREAM = 'application/octet-stream';

/** One file of one repository, as a request or the cache itself asks for it. */
interface RepositoryFile {
  readonly repository: Repository;
  /** Repository-relative path: the name listings and package indexes give it. */
  readonly path: string;
  /** `<repository>/<path>`: the name it is kept under. */
  readonly key: string;
  readonly url: string;
  readonly kind: FileKind;
  /** Validators and freshness of the kept copy of an index, for a conditional GET. */
  readonly meta: IndexMeta | undefined;
}

/**
 * The pull-through package cache (issue 7): decides, per request, between a kept file, a running download to
 * join, and a new upstream fetch, and streams the answer. Transport-agnostic: `handle` takes Node's request and
 * response, so it can sit on its own listener (the default) or behind any HTTP server.
 */
export class PackageCache {
  private readonly store: DiskStore;
  private readonly trust: TrustChain;
  private readonly running = new Map<string, Transfer>();
  /** Fetches being planned (their listings fetched first), so a second request joins instead of fetching again. */
  private readonly starting = new Map<string, Promise<Transfer>>();
  private indexesLoaded: Promise<void> = Promise.resolve();

  constructor(private readonly options: PackageCacheOptions) {
    this.store = new DiskStore({
      root: options.root,
      quotaBytes: options.quotaBytes,
      now: options.now,
      onEvict: (key, size) => {
        options.metrics.evicted(size);
        options.logger.debug({ key, size }, 'evicted (least recently used)');
      },
    });
    this.trust = new TrustChain(this.store, options.logger);
  }

  /** Sweeps interrupted downloads, rebuilds the LRU order, and starts reading kept Packages indexes. */
  async open(): Promise<void> {
    const { removedPartials } = await this.store.open();
    this.reportSize();
    this.options.logger.info(
      {
        files: this.store.fileCount,
        bytes: this.store.totalBytes,
        removedPartials,
        repositories: this.options.repositories.map((r) => `${r.name}=${r.upstream}`),
      },
      'package cache opened',
    );
    // Requests for packages wait for this; everything else is served meanwhile.
    this.indexesLoaded = this.trust.rebuild();
  }

  /** Aborts running downloads (their temp files are removed; clients see a short read). */
  close(): Promise<void> {
    for (const transfer of this.running.values()) transfer.abort();
    return Promise.allSettled([...this.running.values()].map((t) => t.finished)).then(() => undefined);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.serve(req, res).catch((error: unknown) => {
      this.options.logger.error({ err: error, url: req.url }, 'package cache request failed');
      if (!res.headersSent) plain(res, 500, 'internal error in the package cache');
      else res.destroy();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { metrics } = this.options;
    if (!clientAllowed(req.socket.remoteAddress, this.options.allow)) {
      metrics.request('refused');
      plain(res, 403, `${req.socket.remoteAddress ?? 'this client'} may not use this package cache`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      metrics.request('refused');
      res.setHeader('allow', 'GET, HEAD');
      plain(res, 405, 'the package cache serves GET and HEAD only');
      return;
    }
    const target = resolveTarget(req.url ?? '/', this.options.repositories);
    if (target.kind === 'refused') {
      metrics.request('refused');
      plain(res, target.status, target.reason);
      return;
    }
    const file = this.fileOf(target.repository, target.segments);
    const { key, kind } = file;
    if (kind.kind !== 'passthrough' && this.store.has(key)) {
      const meta = kind.kind === 'index' ? await this.store.readMeta(key) : undefined;
      const age = meta === undefined ? Infinity : this.options.now() - meta.validatedAt;
      if (kind.kind === 'immutable' || age < this.options.indexMaxAgeMs) {
        if (await this.serveKept(req, res, key, meta, 'hit')) return;
      } else {
        // Stale index: ask upstream whether it changed (a conditional GET when the copy has validators).
        return this.fromUpstream(req, res, { ...file, meta });
      }
    }
    return this.fromUpstream(req, res, file);
  }

  private fileOf(repository: Repository, segments: readonly string[], meta?: IndexMeta): RepositoryFile {
    const path = segments.join('/');
    return {
      repository,
      path,
      key: `${repository.name}/${path}`,
      url: upstreamUrl(repository, segments),
      kind: classifyFile(segments),
      meta,
    };
  }

  /** The running fetch of a file, or a new one: concurrent requests share one (issue 7 item 2). */
  private async transferFor(file: RepositoryFile): Promise<{ transfer: Transfer; outcome: CacheOutcome }> {
    // Both lookups and the `starting.set` below run without yielding: an `await` on a missing entry would let
    // another plan resumed by the same promise (two images waiting on one Release) miss too and fetch it again.
    const running = this.running.get(file.key);
    if (running !== undefined) return { transfer: running, outcome: 'coalesced' };
    const planned = this.starting.get(file.key);
    if (planned !== undefined) return { transfer: await planned, outcome: 'coalesced' };
    const starting = this.plan(file).then((plan) => this.startTransfer(plan, file));
    this.starting.set(file.key, starting);
    try {
      return { transfer: await starting, outcome: 'miss' };
    } finally {
      if (this.starting.get(file.key) === starting) this.starting.delete(file.key);
    }
  }

  private async fromUpstream(req: IncomingMessage, res: ServerResponse, file: RepositoryFile): Promise<void> {
    const { transfer, outcome } = await this.transferFor(file);
    const start = await transfer.started;
    if (start.kind === 'not-modified') {
      if (await this.serveKept(req, res, file.key, await this.store.readMeta(file.key), 'revalidated'))
        return;
      // Evicted between the 304 and now: fetch it whole.
      return this.fromUpstream(req, res, { ...file, meta: undefined });
    }
    if (start.kind !== 'body') {
      this.options.metrics.request('upstream-error');
      upstreamFailure(res, file.url, start);
      return;
    }
    if (!transfer.join()) {
      // It finished between our lookup and now: kept, the file is served from disk; otherwise it failed.
      const end = await transfer.finished;
      if (
        end.kind === 'kept' &&
        (await this.serveKept(req, res, file.key, await this.store.readMeta(file.key), 'hit'))
      )
        return;
      this.options.metrics.request('upstream-error');
      const why =
        end.kind === 'failed' ? `was refused: ${end.message}` : 'ended before it could be joined; try again';
      plain(res, 502, `the download of ${file.url} ${why}`);
      return;
    }
    this.options.metrics.request(outcome);
    try {
      await this.stream(req, res, transfer, start);
    } finally {
      transfer.leave();
    }
  }

  /** How to fetch a file: what it must match before it is kept, and whether it is kept at all. */
  private async plan(file: RepositoryFile): Promise<TransferPlan> {
    const { kind, path } = file;
    const repository = file.repository.name;
    // The quota bounds any download (tmp/ shares its disk); listings and indexes the cache reads, less.
    const base = {
      key: file.key,
      url: file.url,
      maxUnsizedBytes: Math.min(this.options.quotaBytes, readBound(kind)),
    };
    if (kind.kind === 'passthrough') return { ...base, expect: {}, keep: false };
    const { meta } = file;
    const conditional =
      meta && (meta.etag !== undefined || meta.lastModified !== undefined)
        ? { conditional: { etag: meta.etag, lastModified: meta.lastModified } }
        : {};
    await this.indexesLoaded;
    const { check } = kind;
    switch (check.by) {
      case 'packages': {
        const facts = this.trust.knownPackage(repository, path);
        if (facts === undefined) {
          // Debug, not info: a client with stale lists asks for many such files at once.
          this.options.logger.debug(
            { repository, path },
            'no verified package index names this file: it is passed through and not kept',
          );
          return { ...base, expect: {}, keep: false };
        }
        return { ...base, expect: { oneOf: [facts], source: facts.listedIn }, keep: true };
      }
      case 'name': {
        const listed = this.trust.listed(repository, path).filter((c) => c.sha256 === check.sha256);
        const source = listed[0]?.listedIn ?? 'its by-hash name';
        return {
          ...base,
          expect: { oneOf: listed.length > 0 ? listed : [{ sha256: check.sha256 }], source },
          keep: true,
        };
      }
      case 'listing': {
        if (kind.prerequisites) await this.ensureFresh(file.repository, kind.prerequisites);
        const listed = this.trust.listed(repository, path);
        const first = listed[0];
        if (first !== undefined)
          return { ...base, ...conditional, expect: { oneOf: listed, source: first.listedIn }, keep: true };
        if (check.required) {
          this.options.logger.debug(
            { repository, path },
            'no verified listing names this file: it is passed through and not kept',
          );
          return { ...base, expect: {}, keep: false };
        }
        return { ...base, ...conditional, expect: {}, keep: true };
      }
    }
  }

  /**
   * Makes sure the listings a file is checked against are kept and fresh, fetching them as a client would
   * (an installer image is often fetched alone, by a tool that reads no SHA256SUMS). Each group is a list of
   * alternatives: the first one upstream has is enough (InRelease, else Release).
   */
  private async ensureFresh(repository: Repository, groups: readonly (readonly string[])[]): Promise<void> {
    for (const group of groups) {
      const files = group.map((path) => this.fileOf(repository, path.split('/')));
      // One alternative kept and fresh is enough (a Release, where upstream has no InRelease, is not a 404 each time).
      if ((await Promise.all(files.map((f) => this.isFresh(f)))).some(Boolean)) continue;
      for (const file of files) {
        if (await this.refresh(file)) break;
      }
    }
  }

  private async isFresh(file: RepositoryFile): Promise<boolean> {
    if (file.kind.kind === 'passthrough' || !this.store.has(file.key)) return false;
    if (file.kind.kind === 'immutable') return true;
    const meta = await this.store.readMeta(file.key);
    return meta !== undefined && this.options.now() - meta.validatedAt < this.options.indexMaxAgeMs;
  }

  /** Whether the file is kept and fresh after this: a 304, or a new download that passed its checks. */
  private async refresh(file: RepositoryFile): Promise<boolean> {
    if (file.kind.kind === 'passthrough') return false;
    const meta = this.store.has(file.key) ? await this.store.readMeta(file.key) : undefined;
    return this.refreshWith({ ...file, meta });
  }

  private async refreshWith(file: RepositoryFile): Promise<boolean> {
    const { transfer } = await this.transferFor(file);
    const start = await transfer.started;
    const end = await transfer.finished;
    return start.kind === 'not-modified' || end.kind === 'kept';
  }

  private startTransfer(plan: TransferPlan, file: RepositoryFile): Transfer {
    const { metrics, logger } = this.options;
    const { kind, path } = file;
    const repository = file.repository.name;
    const transfer = new Transfer(plan, {
      store: this.store,
      upstream: this.options.upstream,
      onUpstreamBytes: (n) => {
        metrics.upstreamBytes(n);
      },
      onKept: async (key, head, kept) => {
        if (kind.kind === 'index') await this.store.writeMeta(key, metaOf(head, this.options.now()));
        if (TrustChain.teaches(kind)) await this.trust.adopt(repository, path, kind, kept);
      },
      onNotModified: async (key) => {
        // The kept copy is confirmed for another lifetime.
        const meta = await this.store.readMeta(key);
        if (meta) await this.store.writeMeta(key, { ...meta, validatedAt: this.options.now() });
      },
      onEnd: (end) => {
        // A newer transfer of the same key may have taken the slot since (a revalidation): leave it there.
        if (this.running.get(plan.key) === transfer) this.running.delete(plan.key);
        if (end.kind === 'failed') {
          metrics.rejected(end.reason);
          // Once per download, however many clients were reading it.
          if (end.reason !== 'upstream')
            logger.warn(
              { repository, path, url: plan.url, reason: end.reason },
              `refused, not kept: ${end.message}`,
            );
        }
        this.reportSize();
      },
    });
    this.running.set(plan.key, transfer);
    return transfer;
  }

  private reportSize(): void {
    this.options.metrics.stored(this.store.totalBytes, this.store.fileCount);
  }

  /** Serves a kept file; false when it vanished (evicted) before it could be opened. */
  private async serveKept(
    req: IncomingMessage,
    res: ServerResponse,
    key: string,
    meta: IndexMeta | undefined,
    outcome: 'hit' | 'revalidated',
  ): Promise<boolean> {
    const opened = await this.store.openFile(key);
    if (!opened) return false;
    this.store.touch(key);
    this.options.metrics.request(outcome);
    try {
      await this.sendFile(req, res, opened, meta);
    } finally {
      if (opened.kind === 'memory') opened.release();
      else await opened.handle.close().catch(() => undefined);
    }
    return true;
  }

  private async sendFile(
    req: IncomingMessage,
    res: ServerResponse,
    file: KeptFile,
    meta: IndexMeta | undefined,
  ): Promise<void> {
    const { size } = file;
    res.setHeader('x-cache', 'HIT');
    setValidators(res, meta?.lastModified, meta?.etag);
    if (notModifiedForClient(req, meta)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('content-type', meta?.contentType ?? OCTET_STREAM);
    const range = chooseRange(req.headers.range, size);
    if (range.kind === 'unsatisfiable') {
      res.setHeader('content-range', `bytes */${size}`);
      plain(res, 416, 'the requested range is outside the file');
      return;
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
    res.statusCode = range.kind === 'partial' ? 206 : 200;
    if (range.kind === 'partial') res.setHeader('content-range', `bytes ${start}-${end}/${size}`);
    res.setHeader('content-length', String(size === 0 ? 0 : end - start + 1));
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    if (file.kind === 'disk') {
      await this.pump(res, chunksOf(file.handle, start, end));
      return;
    }
    // From memory: head and body leave in one write, and the bytes stay pinned until the socket took them.
    this.options.metrics.servedBytes(end - start + 1);
    res.end(file.bytes.subarray(start, end + 1));
    await finished(res).catch(() => undefined);
  }

  private async stream(
    req: IncomingMessage,
    res: ServerResponse,
    transfer: Transfer,
    head: BodyHead,
  ): Promise<void> {
    res.setHeader('x-cache', 'MISS');
    res.setHeader('content-type', head.contentType ?? OCTET_STREAM);
    setValidators(res, head.lastModified, head.etag);
    let start = 0;
    let end: number | undefined;
    if (head.length !== undefined) {
      const range = chooseRange(req.headers.range, head.length);
      if (range.kind === 'unsatisfiable') {
        res.setHeader('content-range', `bytes */${head.length}`);
        plain(res, 416, 'the requested range is outside the file');
        return;
      }
      if (range.kind === 'partial') {
        [start, end] = [range.start, range.end];
        res.statusCode = 206;
        res.setHeader('content-range', `bytes ${start}-${end}/${head.length}`);
        res.setHeader('content-length', String(end - start + 1));
      } else {
        res.setHeader('content-length', String(head.length));
      }
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    try {
      await this.pump(res, transfer.read(start, end));
    } catch (error) {
      this.options.logger.debug(
        { err: error, url: transfer.plan.url },
        'client stream cut: the download failed',
      );
      if (res.headersSent) {
        // Headers are out: the only honest signal left is to cut the connection short.
        res.destroy();
        return;
      }
      // It failed before its first byte reached this client (a small file refused at its end, say): nothing is
      // out yet, so a 502 says so plainly, where a reset before any response would look like a network fault.
      for (const name of ['content-range', 'etag', 'last-modified', 'x-cache']) res.removeHeader(name);
      plain(
        res,
        502,
        `the download of ${transfer.plan.url} was refused: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Writes chunks with backpressure; stops quietly when the client goes away. */
  private async pump(res: ServerResponse, chunks: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of chunks) {
      if (res.destroyed) return;
      this.options.metrics.servedBytes(chunk.length);
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    res.end();
  }
}

async function* chunksOf(
  handle: Extract<KeptFile, { kind: 'disk' }>['handle'],
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  let position = start;
  while (position <= end) {
    const buffer = Buffer.allocUnsafe(Math.min(256 * 1024, end - position + 1));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) throw new Error('the kept file is shorter than it was a moment ago');
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

function metaOf(head: BodyHead, now: number): IndexMeta {
  return {
    validatedAt: now,
    ...(head.etag === undefined ? {} : { etag: head.etag }),
    ...(head.lastModified === undefined ? {} : { lastModified: head.lastModified }),
    ...(head.contentType === undefined ? {} : { contentType: head.contentType }),
  };
}

function setValidators(
  res: ServerResponse,
  lastModified: string | undefined,
  etag: string | undefined,
): void {
  if (lastModified !== undefined) res.setHeader('last-modified', lastModified);
  if (etag !== undefined) res.setHeader('etag', etag);
}

/** RFC 9110 §13.1.2–3: If-None-Match wins over If-Modified-Since; only for kept index files, which have validators. */
function notModifiedForClient(req: IncomingMessage, meta: IndexMeta | undefined): boolean {
  if (meta === undefined) return false;
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) return meta.etag !== undefined && inm.split(',').some((t) => t.trim() === meta.etag);
  const ims = req.headers['if-modified-since'];
  if (ims === undefined || meta.lastModified === undefined) return false;
  const since = Date.parse(ims);
  const modified = Date.parse(meta.lastModified);
  return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
}

/** Upstream errors passed on clearly, never cached (issue 7 item 3). */
function upstreamFailure(
  res: ServerResponse,
  url: string,
  start: Exclude<TransferStart, BodyHead | { kind: 'not-modified' }>,
): void {
  switch (start.kind) {
    case 'upstream-status': {
      res.setHeader('x-fleetboot-upstream-status', String(start.status));
      // 4xx pass through as they are (404 stays 404, so apt reports a missing file); 5xx and oddities are 502.
      const status = start.status >= 400 && start.status < 500 ? start.status : 502;
      plain(res, status, `upstream ${url} answered ${start.status} ${start.statusText}`.trim());
      return;
    }
    case 'unreachable': {
      plain(res, start.timedOut ? 504 : 502, `upstream ${url} could not be reached: ${start.message}`);
      return;
    }
    case 'mismatch': {
      plain(res, 502, `upstream ${url} refused: ${start.message}`);
      return;
    }
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  const body = `fleetboot package cache: ${text}\n`;
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('content-length', String(Buffer.byteLength(body)));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
