// The SQLite writer thread's side (see sqlite-writer.ts): its own connection to the store's file, the same store
// code on it, and one call at a time, so `now` is the caller's for the whole call; a `close` (a background call,
// sent last) is answered after everything sent before it.
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../observability/logger.js';
import { sendError } from './error-transfer.js';
import { receivedArgs } from './packet-transfer.js';
import { openSqlite } from './sqlite.js';
import type {
  SentCommitResult,
  WriterData,
  WriterMethods,
  WriterRequest,
  WriterResponse,
} from './sqlite-writer.js';
import { KyselyStore } from './store.js';

const port = parentPort;
if (port === null)
  throw new Error('sqlite-writer-worker.ts runs as a worker thread (sqlite-writer.ts starts it)');
const { file, busyTimeoutMs, logLevel } = workerData as WriterData;
const logger = createLogger({ level: logLevel }).child({ thread: 'sqlite-writer' });

let now = Date.now();
const { db, adapter, sqlite } = openSqlite({ file, busyTimeoutMs, logger });
const store = new KyselyStore({ db, adapter, logger, now: () => now, migrationSchema: undefined, sqlite });

const methods: WriterMethods = {
  commitLease: (lease) => store.leases.commit(lease),
  commitLeases: (leases) => store.leases.commitMany(leases),
  appendEvent: (event) => store.events.append(event),
  appendEvents: (events) => store.events.appendMany(events),
  recordContact: (contact) => store.inventory.recordContact(contact),
  recordContacts: (contacts) => store.inventory.recordContacts(contacts),
  appendCaptures: (packets, bound) => store.captures.append(packets, bound),
};

async function serve(request: WriterRequest): Promise<WriterResponse> {
  now = request.now;
  try {
    if (request.method === 'ready') return { id: request.id, ok: true, value: undefined };
    if (request.method === 'close') {
      await store.close();
      return { id: request.id, ok: true, value: undefined };
    }
    const call = methods[request.method] as (...args: readonly unknown[]) => Promise<unknown>;
    const value = await call(...receivedArgs(request.method, request.args));
    return {
      id: request.id,
      ok: true,
      value: request.method === 'commitLeases' ? sendResults(value) : value,
    };
  } catch (error) {
    return { id: request.id, ok: false, error: sendError(error) };
  }
}

function sendResults(value: unknown): SentCommitResult[] {
  return (value as Awaited<ReturnType<WriterMethods['commitLeases']>>).map((result) =>
    result.ok ? result : { ok: false, error: sendError(result.error) },
  );
}

// Lease commits first: a client waits for its ACK on them, while events and contacts wait for no one. Each queue
// keeps its own order (event ids follow append order); calls are still served one at a time.
const URGENT: ReadonlySet<WriterRequest['method']> = new Set(['commitLease', 'commitLeases', 'ready']);
const urgent: WriterRequest[] = [];
const background: WriterRequest[] = [];
let serving = false;

port.on('message', (request: WriterRequest) => {
  (URGENT.has(request.method) ? urgent : background).push(request);
  if (!serving) void drain();
});

async function drain(): Promise<void> {
  serving = true;
  for (let request = next(); request !== undefined; request = next()) {
    port?.postMessage(await serve(request));
    // Let requests that arrived meanwhile in, so a commit can overtake the background calls still queued.
    await new Promise((resolve) => setImmediate(resolve));
  }
  serving = false;
}

function next(): WriterRequest | undefined {
  return urgent.shift() ?? background.shift();
}
