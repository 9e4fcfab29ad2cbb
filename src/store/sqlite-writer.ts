// The SQLite writer thread. better-sqlite3 is synchronous: a commit under synchronous=FULL holds the calling thread
// for its fsync (milliseconds, more on a busy disk), and on the main thread that is
// time in which no DHCP datagram is read, decoded or answered. Profiles of the full-mode DHCP path
// (bench/dhcp-loop.ts) put half of the main thread's time in the store: the fsyncs and Kysely building queries.
//
// Decision: the writes on the DHCP server's hot path, lease commits (the group commit's batches), event appends,
// contacts and captured packets, run on a worker thread with its own connection to the same file (WAL lets the
// main connection read meanwhile); every other call stays on the main connection. A call's promise settles when the worker's commit
// has returned, so "durable when the promise resolves" (LeaseStore.commit, catalogue P1) holds as before, and a
// kill -9 takes the worker with the process. Uniqueness is still the schema's, whichever connection writes.
//
// The price: a write on the main connection (a release, a sweep, an API change) that meets the worker's write lock
// waits for it (busy_timeout), on the main thread; those are rare next to the hot path's writes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Lease } from '../inventory/lease.js';
import type { LogLevel } from '../observability/logger.js';
import { receiveError, type SentError } from './error-transfer.js';
import { InvalidInputError, LeaseConflictError, StoreUnavailableError } from './errors.js';
import { argsToSend } from './packet-transfer.js';
import type { CaptureStore, EventLog, InventoryStore, LeaseCommitResult, LeaseStore } from './types.js';

/** What the writer thread serves. */
export interface WriterMethods {
  commitLease: LeaseStore['commit'];
  commitLeases: LeaseStore['commitMany'];
  appendEvent: EventLog['append'];
  appendEvents: EventLog['appendMany'];
  recordContact: InventoryStore['recordContact'];
  recordContacts: InventoryStore['recordContacts'];
  appendCaptures: CaptureStore['append'];
}

export type WriterMethod = keyof WriterMethods;

export interface WriterData {
  readonly file: string;
  readonly busyTimeoutMs: number;
  readonly logLevel: LogLevel;
}

export interface WriterRequest {
  readonly id: number;
  readonly method: WriterMethod | 'ready' | 'close';
  readonly args: readonly unknown[];
  /** The store's clock on the calling side, read at the call (createdAt/updatedAt, default event times). */
  readonly now: number;
}

export type WriterResponse =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SentError };

/** commitLeases answers with errors inside its results; they cross the thread as SentErrors too. */
export type SentCommitResult =
  { readonly ok: true; readonly lease: Lease } | { readonly ok: false; readonly error: SentError };

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export interface SqliteWriterOptions extends WriterData {
  readonly now: () => number;
}

/**
 * The calling side. The worker is started on the first call (after the main connection migrated the schema) and
 * again on the call after it died; a worker that dies fails the calls it had with StoreUnavailableError.
 */
export class SqliteWriter {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: SqliteWriterOptions) {}

  call<M extends WriterMethod>(
    method: M,
    ...args: Parameters<WriterMethods[M]>
  ): ReturnType<WriterMethods[M]> {
    return this.request(method, ...argsToSend(method, args)).then((value) =>
      method === 'commitLeases' ? receiveResults(value as readonly SentCommitResult[]) : value,
    ) as ReturnType<WriterMethods[M]>;
  }

  /**
   * Starts the worker and waits until it has opened its connection. A worker started by the first commit makes
   * that commit wait for a thread to load (over a second on a loaded machine, longer than a DHCP client's
   * retransmission timer); `fleetboot serve` calls this once the schema is migrated, before it answers anyone.
   */
  async ready(): Promise<void> {
    await this.request('ready', [], []);
  }

  /** Waits for the calls in flight, then closes the worker's connection and ends the thread. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (worker === undefined) return;
    // The worker answers in order, so once `close` is answered every call sent before it is.
    try {
      await this.send(worker, 'close', [], []);
    } finally {
      this.worker = undefined;
      await worker.terminate();
    }
  }

  private request(
    method: WriterMethod | 'ready',
    args: readonly unknown[],
    transfer: readonly ArrayBuffer[],
  ): Promise<unknown> {
    if (this.closed) {
      return Promise.reject(new StoreUnavailableError(this.options.file, new Error('the store is closed')));
    }
    return this.send(this.worker ?? this.start(), method, args, transfer);
  }

  private send(
    worker: Worker,
    method: WriterRequest['method'],
    args: readonly unknown[],
    transfer: readonly ArrayBuffer[],
  ): Promise<unknown> {
    const id = this.nextId++;
    const request: WriterRequest = { id, method, args, now: this.options.now() };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Only while a call waits does the worker keep the process alive.
      worker.ref();
      try {
        worker.postMessage(request, transfer);
      } catch (error) {
        this.settle(id);
        reject(new StoreUnavailableError(this.options.file, error));
      }
    });
  }

  private start(): Worker {
    const data: WriterData = {
      file: this.options.file,
      busyTimeoutMs: this.options.busyTimeoutMs,
      logLevel: this.options.logLevel,
    };
    const worker = workerScript(data);
    worker.unref();
    worker.on('message', (response: WriterResponse) => {
      const pending = this.settle(response.id);
      if (pending === undefined) return;
      if (response.ok) pending.resolve(response.value);
      else pending.reject(receiveError(response.error));
    });
    const fail = (error: unknown): void => {
      if (this.worker === worker) this.worker = undefined;
      const waiting = [...this.pending.values()];
      this.pending.clear();
      for (const { reject } of waiting) reject(new StoreUnavailableError(this.options.file, error));
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      fail(new Error(`the SQLite writer thread exited (code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    return pending;
  }
}

/**
 * Built, this file is .js next to the worker's .js. Run from source (tests, bench/dhcp-loop.ts) it is TypeScript,
 * which a worker thread loads only once tsx's loader is registered in that thread: loader hooks are per thread.
 */
function workerScript(data: WriterData): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./sqlite-writer-worker.js', import.meta.url), { workerData: data });
  }
  const script = new URL('./sqlite-writer-worker.ts', import.meta.url).href;
  // tsx's ESM API, where its package.json exports it (its CommonJS build cannot register from an eval'd script).
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports: { './esm/api': { import: { default: string } } };
  };
  const api = pathToFileURL(path.join(path.dirname(manifest), exports['./esm/api'].import.default)).href;
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

function receiveResults(results: readonly SentCommitResult[]): LeaseCommitResult[] {
  return results.map((result) => {
    if (result.ok) return result;
    const error = receiveError(result.error);
    // commitMany's results hold only these two (types.ts); anything else would be a bug in the worker.
    if (error instanceof LeaseConflictError || error instanceof InvalidInputError)
      return { ok: false, error };
    throw error;
  });
}
