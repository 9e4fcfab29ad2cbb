// In-process closed-loop driver for the DHCP server's full-mode path, to find where its time goes (a bench tool, not
// a test: nothing fails when a number is bad). It runs what `fleetboot serve` runs for each datagram, minus the
// socket: DhcpIntake (size check, decode, in-flight bound, metrics) → the engine → a real SQLite store in a
// temporary directory with the server's settings (WAL, synchronous=FULL), and the reply bytes back to simulated
// clients doing DISCOVER/OFFER/REQUEST/ACK, each with its own MAC, with the PXE options the shared kit's load
// generator sends. A reply reaches its client one event-loop turn later (setImmediate), as a datagram from
// another process would.
//
// The kit (`npm run bench -- dhcp`) is what the figures in bench/README.md come from; this tool is for profiling:
//   node --import tsx bench/dhcp-loop.ts [--clients 2000] [--concurrency 64] [--rounds 1] [--dir DIR]
//                                        [--writer-thread 1|0] [--capture 1|0] [--timeline 1|0]
//                                        [--heap-profile 1|0]
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/dhcp-loop.ts ...
// --rounds N runs N rounds of fresh clients against one server (later rounds run on warm, JIT-compiled code).
// Prints one JSON line per round: exchanges/s, latency p50/p99 (DISCOVER sent → ACK received), CPU µs per exchange
// of this process (server and clients together), and the time until the queued events (and, with --capture 1, as
// serve runs, the boot-capture packets: capture/recorder.ts) were written.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultBootFileTable } from '../src/boot/boot-file.js';
import { CaptureRecorder } from '../src/capture/recorder.js';
import { loadConfig } from '../src/config/load.js';
import { createDhcpEngine } from '../src/dhcp/engine.js';
import { systemClock } from '../src/net/clock.js';
import { DhcpIntake } from '../src/net/dhcp-intake.js';
import { dhcpTransportMetrics } from '../src/net/dhcp-metrics.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { MAGIC_COOKIE } from '../src/protocol/dhcp4/index.js';
import type { Machine } from '../src/inventory/machine.js';
import { openStore } from '../src/store/open.js';
import type { Contact, ContactResult, EventLog, InventoryStore } from '../src/store/types.js';
import { benchFlags } from './flags.js';
import { HeapSampling } from './heap-sampling.js';
import { parseIpv4 } from '../src/values/ipv4.js';

const args = benchFlags(process.argv.slice(2), 'see the top of bench/dhcp-loop.ts');
const CLIENTS = args.int('clients', 2000);
const CONCURRENCY = args.int('concurrency', 64);
const ROUNDS = args.int('rounds', 1);
const SERVER = '198.18.0.1';
const STORE_KIND = args.get('store') ?? 'sqlite';
// As `fleetboot serve` opens it: SQLite's hot-path writes on the writer thread (store/sqlite-writer.ts).
const WRITER_THREAD = (args.get('writer-thread') ?? '1') === '1';
// As `fleetboot serve` runs it: each request and reply also handed to the boot capture.
const CAPTURE = (args.get('capture') ?? '1') === '1';
// Where the main thread allocates in the last round, by the nearest frame in src/ (bench/heap-sampling.ts).
const HEAP_PROFILE = (args.get('heap-profile') ?? '0') === '1';
// What the machine's timeline costs: with 0, the engine's events and contacts are answered without being written
// (contacts with a machine id made up here), so the run shows the rest. Captured packets need the machines the
// contacts enrol (the store keeps only packets of known MACs): --timeline 0 goes with --capture 0.
const TIMELINE = (args.get('timeline') ?? '1') === '1';
if (!TIMELINE && CAPTURE) throw new Error('--timeline 0 needs --capture 0');

const root = args.get('dir') ?? mkdtempSync(path.join(tmpdir(), 'fleetboot-dhcp-loop-'));
mkdirSync(root, { recursive: true });
writeFileSync(
  path.join(root, 'fleetboot.yaml'),
  [
    `dataDir: ${path.join(root, 'data')}`,
    'dhcp:',
    '  mode: full',
    '  interfaces: [fbloop0]',
    '  subnets:',
    '    - subnet: 198.18.0.0/16',
    '      leaseTime: 43200',
    '      pools:',
    '        - start: 198.18.1.0',
    '          end: 198.18.63.254',
    '',
  ].join('\n'),
);
const { config } = loadConfig({ path: 'fleetboot.yaml', cwd: root, env: {} });
const logger = createLogger({ level: 'warn' });
const metrics = createMetrics({ processMetrics: false });
const store = await openStore(STORE_KIND === 'sqlite' ? 'sqlite:leases.db' : STORE_KIND, {
  dataDir: path.join(root, 'data'),
  logger,
  writerThread: WRITER_THREAD,
});
await store.migrate();
const engine = createDhcpEngine({
  config: config.dhcp,
  leases: store.leases,
  inventory: TIMELINE ? store.inventory : unwrittenContacts(store.inventory),
  events: TIMELINE ? store.events : unwrittenEvents(store.events),
  clock: systemClock,
  logger,
  metrics,
  bootFiles: defaultBootFileTable(`http://${SERVER}:8080`),
});
await engine.start();
const capture = CAPTURE
  ? new CaptureRecorder({
      store: store.captures,
      identify: () => Promise.resolve(undefined),
      clock: systemClock,
      logger,
      metrics,
    })
  : undefined;

interface Client {
  readonly mac: Buffer;
  readonly xid: number;
  started: number;
  done: boolean;
}

const clients = new Map<number, Client>();
let onAck: (client: Client, address: string) => void = () => undefined;

const intake = new DhcpIntake({
  interfaceName: 'fbloop0',
  interfaceAddress: parseIpv4(SERVER),
  handler: engine,
  // The reply reaches the client in a later turn of the event loop, as a datagram would.
  send: (_port, bytes) => {
    const reply = Buffer.from(bytes);
    setImmediate(() => {
      clientReceives(reply);
    });
    return Promise.resolve();
  },
  metrics: dhcpTransportMetrics(metrics),
  logger,
  clock: systemClock,
  ...(capture === undefined ? {} : { capture: capture.dhcp }),
});

function clientReceives(reply: Buffer): void {
  const client = clients.get(reply.readUInt32BE(4));
  if (client === undefined || client.done) return;
  const type = optionByte(reply, 53);
  const yiaddr = `${reply[16]}.${reply[17]}.${reply[18]}.${reply[19]}`;
  if (type === 2) {
    deliver(packet(client, 3, [option(50, ipBytes(yiaddr)), option(54, ipBytes(SERVER))]));
  } else if (type === 5) {
    client.done = true;
    onAck(client, yiaddr);
  } else {
    throw new Error(`client ${client.mac.toString('hex')}: unexpected reply type ${String(type)}`);
  }
}

function deliver(bytes: Buffer): void {
  setImmediate(() => {
    intake.accept(bytes, 67, { address: '0.0.0.0', port: 68 });
  });
}

let macBase = 0;

async function round(): Promise<Record<string, number>> {
  const latencies: number[] = [];
  const addresses = new Set<string>();
  let next = 0;
  let completed = 0;
  const first = macBase;
  macBase += CLIENTS;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const start = (): void => {
      if (next >= CLIENTS) return;
      const n = first + next++;
      const mac = Buffer.from([0x02, 0x42, 0x00, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
      const client: Client = { mac, xid: (0x10000000 + n) >>> 0, started: performance.now(), done: false };
      clients.set(client.xid, client);
      deliver(packet(client, 1, []));
    };
    onAck = (client, address) => {
      latencies.push(performance.now() - client.started);
      addresses.add(address);
      clients.delete(client.xid);
      completed += 1;
      if (completed === CLIENTS) resolve();
      else start();
    };
    for (let i = 0; i < Math.min(CONCURRENCY, CLIENTS); i++) start();
  });
  const t1 = performance.now();
  const cpu1 = process.cpuUsage(cpu0);
  await engine.flushEvents();
  await capture?.flush();
  const t2 = performance.now();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    clients: CLIENTS,
    concurrency: CONCURRENCY,
    exchangesPerS: Math.round((CLIENTS / (t1 - t0)) * 1000),
    p50Ms: round2(pct(0.5)),
    p99Ms: round2(pct(0.99)),
    cpuUsPerExchange: Math.round((cpu1.user + cpu1.system) / CLIENTS),
    eventsFlushedAfterMs: Math.round(t2 - t1),
    capture: CAPTURE ? 1 : 0,
    duplicateAddresses: CLIENTS - addresses.size,
  };
}

try {
  for (let r = 1; r <= ROUNDS; r++) {
    // The last round only: earlier ones warm the JIT up, as in a server that has been running a while.
    const sampling = HEAP_PROFILE && r === ROUNDS ? new HeapSampling() : undefined;
    await sampling?.start();
    console.log(JSON.stringify({ round: r, ...(await round()) }));
    for (const line of (await sampling?.stop(CLIENTS)) ?? []) console.log(line);
  }
} finally {
  await engine.stop();
  await capture?.stop();
  await store.close();
  if (args.get('dir') === undefined) rmSync(root, { recursive: true, force: true });
}

// A BOOTREQUEST as the kit's load generator builds it: broadcast flag, client id 61, max size 57, PXE 60/93/94/97.
function packet(client: Client, type: number, extra: readonly Buffer[]): Buffer {
  const header = Buffer.alloc(236);
  header[0] = 1;
  header[1] = 1;
  header[2] = 6;
  header.writeUInt32BE(client.xid, 4);
  header.writeUInt16BE(0x8000, 10);
  client.mac.copy(header, 28);
  const guid = Buffer.alloc(16);
  client.mac.copy(guid, 10);
  const options = [
    option(53, [type]),
    option(61, Buffer.concat([Buffer.from([1]), client.mac])),
    option(57, [0x05, 0xc0]),
    ...extra,
    option(
      55,
      [1, 3, 6, 12, 15, 17, 28, 43, 54, 60, 66, 67, 93, 94, 97, 128, 129, 130, 131, 132, 133, 134, 135],
    ),
    option(60, Buffer.from('PXEClient:Arch:00007:UNDI:003016')),
    option(93, [0, 7]),
    option(94, [1, 3, 16]),
    option(97, Buffer.concat([Buffer.from([0]), guid])),
    Buffer.from([255]),
  ];
  const bytes = Buffer.concat([header, MAGIC_COOKIE, ...options]);
  return bytes.length >= 300 ? bytes : Buffer.concat([bytes, Buffer.alloc(300 - bytes.length)]);
}

function option(code: number, data: readonly number[] | Buffer): Buffer {
  const value = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return Buffer.concat([Buffer.from([code, value.length]), value]);
}

function optionByte(message: Buffer, code: number): number | undefined {
  for (let i = 240; i < message.length;) {
    const c = message[i] ?? 255;
    if (c === 255) return undefined;
    if (c === 0) {
      i += 1;
      continue;
    }
    const length = message[i + 1] ?? 0;
    if (c === code) return message[i + 2];
    i += 2 + length;
  }
  return undefined;
}

function ipBytes(text: string): Buffer {
  return Buffer.from(text.split('.').map(Number));
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The store's inventory, but contacts answered at once with a made-up machine id and nothing written. */
function unwrittenContacts(inventory: InventoryStore): InventoryStore {
  let next = 0;
  const answer = (contact: Contact): ContactResult => ({
    machine: { id: `bench-${String(next++)}`, macs: [contact.mac] } as unknown as Machine,
    created: true,
  });
  return new Proxy(inventory, {
    get(target, key, receiver) {
      if (key === 'recordContacts')
        return (contacts: readonly Contact[]) => Promise.resolve(contacts.map(answer));
      if (key === 'recordContact') return (contact: Contact) => Promise.resolve(answer(contact));
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The store's event log, but appends answered at once with made-up ids and nothing written. */
function unwrittenEvents(events: EventLog): EventLog {
  let next = 0;
  return new Proxy(events, {
    get(target, key, receiver) {
      if (key === 'append') return () => Promise.resolve(next++);
      if (key === 'appendMany') return (rows: readonly unknown[]) => Promise.resolve(rows.map(() => next++));
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
