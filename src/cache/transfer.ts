import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { DiskStore } from './disk-store.js';
import { UpstreamUnreachableError, type UpstreamClient } from './upstream.js';

/**
 * What must hold before a downloaded file is kept (and before a client gets its last byte): it must be one of
 * `oneOf` (a listing may name a path with a few generations of content). No candidates: only the length.
 */
export interface Expectation {
  readonly oneOf?: readonly { readonly sha256: string; readonly size?: number }[];
  /** What the candidates come from, for messages: `dists/t/InRelease`, `the name (by-hash)`. */
  readonly source?: string;
}

export interface TransferPlan {
  readonly key: string;
  readonly url: string;
  /** Validators of the copy already kept, for a conditional GET (RFC 9110 §13.1). */
  readonly conditional?: { readonly etag: string | undefined; readonly lastModified: string | undefined };
  readonly expect: Expectation;
  /** Whether the file goes into the cache once complete and checked; otherwise it is only streamed through. */
  readonly keep: boolean;
  /**
   * The most the body may hold when neither the expectation nor upstream's Content-Length gives its size (a
   * chunked answer): without it a download would fill tmp/ unbounded, the quota being checked only at commit.
   */
  readonly maxUnsizedBytes: number;
}

export interface BodyHead {
  readonly kind: 'body';
  /** Upstream's Content-Length, when it sent one. */
  readonly length: number | undefined;
  readonly lastModified: string | undefined;
  readonly etag: string | undefined;
  readonly contentType: string | undefined;
}

/** How upstream answered, known before any byte of the body. */
export type TransferStart =
  | BodyHead
  | { readonly kind: 'not-modified' }
  | { readonly kind: 'upstream-status'; readonly status: number; readonly statusText: string }
  | { readonly kind: 'unreachable'; readonly timedOut: boolean; readonly message: string }
  | { readonly kind: 'mismatch'; readonly message: string };

export type TransferEnd =
  | { readonly kind: 'kept'; readonly size: number; readonly sha256: string }
  | { readonly kind: 'streamed'; readonly size: number }
  | { readonly kind: 'failed'; readonly reason: FailureReason; readonly message: string };

export type FailureReason = 'truncated' | 'oversize' | 'size' | 'sha256' | 'upstream' | 'disk' | 'aborted';

export interface TransferHooks {
  readonly store: DiskStore;
  readonly upstream: UpstreamClient;
  readonly onUpstreamBytes: (bytes: number) => void;
  /** Runs after the file is renamed into place and before the transfer counts as finished (meta, index parse). */
  readonly onKept: (key: string, head: BodyHead, kept: { size: number; sha256: string }) => Promise<void>;
  /** Runs on a 304 before any client is told, so none reads the kept copy's old freshness. */
  readonly onNotModified: (key: string) => Promise<void>;
  /** Runs as the transfer ends, before its readers learn of it (bookkeeping and metrics). */
  readonly onEnd: (end: TransferEnd) => void;
}

const CHUNK = 64 * 1024;

/**
 * One upstream fetch of one file, shared by every client that asks for it while it runs (issue 7 item 2:
 * concurrent requests coalesced into one upstream fetch). The body goes to a temp file as it arrives; each
 * client reads that file from its own position as it grows, so a slow client never slows the download or the
 * others, and memory stays at one chunk per client however large the file.
 *
 * The last byte is held back from every client until the whole file has been checked (length, index size,
 * SHA-256): a client never completes a file that failed its check; it sees the connection end short instead,
 * as after any network fault, and retries.
 */
export class Transfer {
  readonly started: Promise<TransferStart>;
  readonly finished: Promise<TransferEnd>;
  private state: 'running' | 'done' | 'failed' = 'running';
  private written = 0;
  private readHandle: FileHandle | undefined;
  private readers = 0;
  private waiters: (() => void)[] = [];
  private response: IncomingMessage | undefined;
  private failure: string | undefined;

  constructor(
    readonly plan: TransferPlan,
    private readonly hooks: TransferHooks,
  ) {
    let resolveStart!: (start: TransferStart) => void;
    this.started = new Promise((resolve) => (resolveStart = resolve));
    this.finished = this.run(resolveStart).then((end) => {
      hooks.onEnd(end);
      this.state = end.kind === 'failed' ? 'failed' : 'done';
      if (end.kind === 'failed') this.failure = end.message;
      this.wake();
      this.closeIfUnused();
      return end;
    });
  }

  /** Bytes written so far (for `Content-Length`-less progress and tests). */
  get bytesWritten(): number {
    return this.written;
  }

  /** Stops the download (server shutdown); readers see the connection end short. */
  abort(): void {
    this.response?.destroy(new Error('aborted: the cache is stopping'));
  }

  /**
   * Registers a reader; false once the transfer has ended (its read handle may be gone): the caller then serves
   * the kept file, or answers from the failure.
   */
  join(): boolean {
    if (this.state !== 'running') return false;
    this.readers += 1;
    return true;
  }

  leave(): void {
    this.readers -= 1;
    this.closeIfUnused();
  }

  /**
   * The bytes [start, end] (end inclusive; undefined = to the end of the file) as they become available.
   * Throws when the transfer fails before they are all read.
   */
  async *read(start: number, end: number | undefined): AsyncGenerator<Buffer> {
    let position = start;
    for (;;) {
      const limit = this.state === 'done' ? this.written : Math.max(0, this.written - 1);
      const stop = end === undefined ? limit : Math.min(limit, end + 1);
      if (position < stop && this.readHandle) {
        const buffer = Buffer.allocUnsafe(Math.min(CHUNK, stop - position));
        const { bytesRead } = await this.readHandle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) throw new Error('the download file ended before its recorded length');
        position += bytesRead;
        yield buffer.subarray(0, bytesRead);
        continue;
      }
      if (end !== undefined && position > end) return;
      if (this.state === 'done') return;
      if (this.state === 'failed') throw new Error(this.failure ?? 'the download failed');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private closeIfUnused(): void {
    if (this.state !== 'running' && this.readers === 0 && this.readHandle) {
      const handle = this.readHandle;
      this.readHandle = undefined;
      handle.close().catch(() => undefined);
    }
  }

  private async run(resolveStart: (start: TransferStart) => void): Promise<TransferEnd> {
    const { plan } = this;
    let response: IncomingMessage;
    try {
      response = await this.hooks.upstream(plan.url, { headers: conditionalHeaders(plan) });
    } catch (error) {
      const timedOut = error instanceof UpstreamUnreachableError && error.timedOut;
      const message = error instanceof Error ? error.message : String(error);
      resolveStart({ kind: 'unreachable', timedOut, message });
      return { kind: 'failed', reason: 'upstream', message };
    }
    this.response = response;
    const status = response.statusCode ?? 0;
    if (status === 304 && plan.conditional) {
      response.resume();
      await this.hooks.onNotModified(plan.key).catch(() => undefined);
      resolveStart({ kind: 'not-modified' });
      return { kind: 'streamed', size: 0 };
    }
    if (status !== 200) {
      response.resume();
      resolveStart({ kind: 'upstream-status', status, statusText: response.statusMessage ?? '' });
      return { kind: 'failed', reason: 'upstream', message: `upstream answered ${status}` };
    }
    const head = bodyHead(response);
    const encoding = response.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      response.destroy();
      const message = `upstream sent Content-Encoding ${encoding} although identity was asked for`;
      resolveStart({ kind: 'mismatch', message });
      return { kind: 'failed', reason: 'upstream', message };
    }
    const sizes = expectedSizes(plan.expect);
    if (sizes !== undefined && head.length !== undefined && !sizes.includes(head.length)) {
      response.destroy();
      const message = `upstream announced ${head.length} bytes, ${sourceOf(plan.expect)} says ${sizes.join(' or ')}`;
      resolveStart({ kind: 'mismatch', message });
      return { kind: 'failed', reason: 'size', message };
    }

    let temp: { path: string; handle: FileHandle };
    try {
      temp = await this.hooks.store.createTemp();
      this.readHandle = await open(temp.path, 'r');
    } catch (error) {
      response.destroy();
      const message = `cannot write the download: ${error instanceof Error ? error.message : String(error)}`;
      resolveStart({ kind: 'unreachable', timedOut: false, message });
      return { kind: 'failed', reason: 'disk', message };
    }
    resolveStart(head);
    const end = await this.receive(response, temp.handle, head);
    await temp.handle.close().catch(() => undefined);
    if (end.kind === 'failed' || !plan.keep) {
      await this.hooks.store.discard(temp.path);
      return end.kind === 'failed' ? end : { kind: 'streamed', size: end.size };
    }
    try {
      await this.hooks.store.commit(temp.path, plan.key, end.size);
      await this.hooks.onKept(plan.key, head, end);
    } catch {
      await this.hooks.store.discard(temp.path);
      // The bytes were checked: the clients still get them whole; only keeping them failed.
      return { kind: 'streamed', size: end.size };
    }
    return { kind: 'kept', size: end.size, sha256: end.sha256 };
  }

  private async receive(
    response: IncomingMessage,
    file: FileHandle,
    head: BodyHead,
  ): Promise<Extract<TransferEnd, { kind: 'failed' }> | { kind: 'checked'; size: number; sha256: string }> {
    const { expect } = this.plan;
    const sizes = expectedSizes(expect);
    const announced = sizes === undefined ? head.length : Math.max(...sizes);
    const limit = announced ?? this.plan.maxUnsizedBytes;
    const hash = createHash('sha256');
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        if (this.written + chunk.length > limit) {
          response.destroy();
          const message =
            announced === undefined
              ? `upstream sent more than ${limit} bytes without saying how many, more than the cache holds of such a file`
              : `upstream sent more than ${limit} bytes`;
          return { kind: 'failed', reason: 'oversize', message };
        }
        hash.update(chunk);
        let offset = 0;
        while (offset < chunk.length) {
          const { bytesWritten } = await file.write(
            chunk,
            offset,
            chunk.length - offset,
            this.written + offset,
          );
          offset += bytesWritten;
        }
        this.written += chunk.length;
        this.hooks.onUpstreamBytes(chunk.length);
        this.wake();
      }
    } catch (error) {
      return {
        kind: 'failed',
        reason: 'truncated',
        message: `upstream connection failed after ${this.written} bytes: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    if (!response.complete || (head.length !== undefined && this.written !== head.length)) {
      return {
        kind: 'failed',
        reason: 'truncated',
        message: `upstream sent ${this.written} of ${head.length ?? 'an unknown number of'} bytes`,
      };
    }
    if (sizes !== undefined && !sizes.includes(this.written)) {
      return {
        kind: 'failed',
        reason: 'size',
        message: `got ${this.written} bytes, ${sourceOf(expect)} says ${sizes.join(' or ')}`,
      };
    }
    const digest = hash.digest('hex');
    const candidates = expect.oneOf ?? [];
    if (
      candidates.length > 0 &&
      !candidates.some((c) => c.sha256 === digest && (c.size === undefined || c.size === this.written))
    ) {
      return {
        kind: 'failed',
        reason: 'sha256',
        message: `SHA-256 ${digest} differs from ${sourceOf(expect)}'s ${candidates.map((c) => c.sha256).join(' or ')}`,
      };
    }
    try {
      await file.sync();
    } catch (error) {
      return { kind: 'failed', reason: 'disk', message: `fsync failed: ${String(error)}` };
    }
    return { kind: 'checked', size: this.written, sha256: digest };
  }
}

/** The sizes a file may have, when every candidate gives one (SHA256SUMS gives none). */
function expectedSizes(expect: Expectation): number[] | undefined {
  const candidates = expect.oneOf ?? [];
  if (candidates.length === 0 || candidates.some((c) => c.size === undefined)) return undefined;
  return [...new Set(candidates.map((c) => c.size ?? 0))];
}

const sourceOf = (expect: Expectation): string => expect.source ?? 'the index that names the file';

function conditionalHeaders(plan: TransferPlan): Record<string, string> {
  const headers: Record<string, string> = {};
  if (plan.conditional?.etag !== undefined) headers['if-none-match'] = plan.conditional.etag;
  if (plan.conditional?.lastModified !== undefined)
    headers['if-modified-since'] = plan.conditional.lastModified;
  return headers;
}

function bodyHead(response: IncomingMessage): BodyHead {
  const length = response.headers['content-length'];
  const parsed = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
  return {
    kind: 'body',
    length: parsed,
    lastModified: response.headers['last-modified'],
    etag: response.headers.etag,
    contentType: response.headers['content-type'],
  };
}
