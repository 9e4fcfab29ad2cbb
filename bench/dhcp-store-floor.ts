// The least SQLite work a DORA exchange costs with fleetboot's schema and durability, so that the DHCP rate target
// (issue 3: fleetboot with SQLite and durable commits at least Kea memfile's exchanges/s) can be held against a
// budget: what the load generator leaves of the machine's CPUs, minus the floor of the transport and codec
// (bench/dhcp-floor.js), minus this. A bench tool, not a test: nothing fails when a number is bad.
//
// Per exchange, each level adding to the one before, with the statements prepared once and no other JavaScript than building
// their parameters (no engine, no Kysely, no thread hand-off, no decoding of what comes back):
//   lease     the lease upsert the group commit runs (LEASE_UPSERT, store/queries/lease-batch-sqlite.ts), bound
//   enrol     + the machine's enrolment on first contact: its interface looked up by MAC, a machine row and an
//             interface row inserted (what InventoryStore.recordContacts does for a new MAC, minus its reads back)
//   events    + four timeline events (DISCOVER, OFFER, REQUEST, ACK) in one multi-row insert (append-sqlite.ts)
//   captures  + four captured 300-octet packets in one multi-row insert (append-sqlite.ts; no trim: no machine
//             reaches its bound in a run)
// Each kind in its own IMMEDIATE transaction per batch of --batch exchanges, as `serve`'s writer thread commits
// them (a lease batch, then events, contacts and captures in their own), on a fresh file opened as `serve` opens
// it (store/sqlite.ts: WAL, synchronous = FULL, foreign keys), so each commit is an fsync.
//
//   node --import tsx bench/dhcp-store-floor.ts [--exchanges 20000] [--batch 64] [--repeats 3] [--dir DIR]
// Prints one JSON line per level and repeat (levels interleaved), CPU (user + system) and wall µs per exchange, then
// a table of the medians over the repeats.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../src/observability/logger.js';
import { openStore } from '../src/store/open.js';
import { CAPTURE_COLUMNS, EVENT_COLUMNS, insertSql } from '../src/store/queries/append-sqlite.js';
import { LEASE_UPSERT } from '../src/store/queries/lease-batch-sqlite.js';
import { openSqlite } from '../src/store/sqlite.js';
import { timeOrderedIds } from '../src/values/time-ordered-id.js';
import { benchFlags } from './flags.js';
import { median, spread } from './stats.js';

const LEVELS = ['lease', 'enrol', 'events', 'captures'] as const;
type Level = (typeof LEVELS)[number];

const flags = benchFlags(process.argv.slice(2), '--exchanges N --batch N --repeats N --dir DIR');
const EXCHANGES = flags.int('exchanges', 20_000);
const BATCH = flags.int('batch', 64);
const REPEATS = flags.int('repeats', 3);
const root = flags.get('dir') ?? tmpdir();

const logger = createLogger({ level: 'warn' });
const SUBNET = '198.18.0.0/16';
const SERVER = '198.18.0.1';
const LEASE_MS = 43_200_000;
const PAYLOAD = Buffer.alloc(300, 0x5a);
// What recordDecision writes for a PXE client's DISCOVER, about as long (the engine's details vary by message).
const DETAILS = JSON.stringify({
  xid: '0x5eed0001',
  arch: 7,
  vendorClass: 'PXEClient:Arch:00007:UNDI:003016',
  address: '198.18.1.23',
  bootFile: 'ipxe.efi',
  server: SERVER,
});
const KINDS = ['dhcp.discover', 'dhcp.offer', 'dhcp.request', 'dhcp.ack'];

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');

interface Figures {
  readonly cpuUs: number;
  readonly wallUs: number;
}

/** One level on a fresh database file: the exchanges in batches, each kind in its own transaction per batch. */
async function measure(level: Level): Promise<Figures> {
  const dir = mkdtempSync(path.join(root, 'fleetboot-store-floor-'));
  try {
    const file = path.join(dir, 'floor.db');
    const store = await openStore(`sqlite:${file}`, { dataDir: dir, logger });
    await store.migrate();
    await store.close();
    const { sqlite } = openSqlite({ file, busyTimeoutMs: 5000, logger });
    try {
      return run(sqlite, LEVELS.indexOf(level));
    } finally {
      sqlite.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(sqlite: ReturnType<typeof openSqlite>['sqlite'], depth: number): Figures {
  const upsert = sqlite.prepare(LEASE_UPSERT);
  const known = sqlite.prepare(`select "machine_id" from "machine_interfaces" where "mac" = ?`);
  const machine = sqlite.prepare(
    `insert into "machines" ("id", "uuid", "arch", "vendor_class", "state", "version", "created_at", "updated_at")
     values (?, ?, 7, 'PXEClient:Arch:00007:UNDI:003016', 'discovered', 1, ?, ?)`,
  );
  const iface = sqlite.prepare(
    `insert into "machine_interfaces" ("mac", "machine_id", "position") values (?, ?, 0)`,
  );
  const events = sqlite.prepare(insertSql('events', EVENT_COLUMNS, 4));
  const captures = sqlite.prepare(insertSql('captured_packets', CAPTURE_COLUMNS, 4));
  const newId = timeOrderedIds(Date.now);

  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  for (let start = 0; start < EXCHANGES; start += BATCH) {
    const batch: { mac: string; address: number; id: string }[] = [];
    for (let i = start; i < Math.min(EXCHANGES, start + BATCH); i++) {
      const mac = `52:54:${hex2(i >>> 24)}:${hex2(i >>> 16)}:${hex2(i >>> 8)}:${hex2(i)}`;
      batch.push({ mac, address: 0xc6120100 + i, id: newId() });
    }
    const now = Date.now();
    sqlite
      .transaction(() => {
        for (const { mac, address } of batch) {
          const dotted = `198.18.${(address >>> 8) & 0xff}.${address & 0xff}`;
          const written = upsert.get({
            address: dotted,
            address_num: address,
            subnet: SUBNET,
            client_id: `01${mac.replaceAll(':', '')}`,
            mac,
            state: 'bound',
            expires_at: now + LEASE_MS,
            server_id: SERVER,
            hostname: null,
            relay_agent_info: null,
            updated_at: now,
            now,
          });
          if (written === undefined) throw new Error(`lease for ${dotted} not written`);
        }
      })
      .immediate();
    if (depth >= 1) {
      sqlite
        .transaction(() => {
          for (const { mac, id } of batch) {
            if (known.get(mac) !== undefined) continue;
            machine.run(id, null, now, now);
            iface.run(mac, id);
          }
        })
        .immediate();
    }
    if (depth >= 2) {
      sqlite
        .transaction(() => {
          for (const { mac, id } of batch) {
            events.run(KINDS.flatMap((kind) => [now, id, mac, 'dhcp', kind, DETAILS]));
          }
        })
        .immediate();
    }
    if (depth >= 3) {
      sqlite
        .transaction(() => {
          for (const { mac, id } of batch) {
            captures.run(
              [0, 1, 2, 3].flatMap((n) => [
                id,
                now,
                mac,
                'dhcp',
                n % 2 === 0 ? 'in' : 'out',
                n % 2 === 0 ? '0.0.0.0' : SERVER,
                n % 2 === 0 ? 68 : 67,
                '255.255.255.255',
                n % 2 === 0 ? 67 : 68,
                PAYLOAD,
                PAYLOAD.length,
              ]),
            );
          }
        })
        .immediate();
    }
  }
  const wallUs = Number(process.hrtime.bigint() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / EXCHANGES, wallUs: wallUs / EXCHANGES };
}

const measured = new Map<Level, Figures[]>(LEVELS.map((level) => [level, []]));
for (let repeat = 1; repeat <= REPEATS; repeat++) {
  for (const level of LEVELS) {
    const figures = await measure(level);
    measured.get(level)?.push(figures);
    console.log(
      JSON.stringify({
        repeat,
        level,
        exchanges: EXCHANGES,
        batch: BATCH,
        cpuUsPerExchange: Number(figures.cpuUs.toFixed(1)),
        wallUsPerExchange: Number(figures.wallUs.toFixed(1)),
      }),
    );
  }
}

console.log('');
console.log(
  `| level | CPU µs per exchange, median [min–max] of ${REPEATS} | added by the level | wall µs per exchange |`,
);
console.log('| --- | --- | --- | --- |');
let previous = 0;
for (const level of LEVELS) {
  const figures = measured.get(level) ?? [];
  const cpu = median(figures.map((f) => f.cpuUs));
  console.log(
    `| ${level} | ${spread(figures.map((f) => f.cpuUs))} | ${(cpu - previous).toFixed(1)} | ` +
      `${spread(figures.map((f) => f.wallUs))} |`,
  );
  previous = cpu;
}
