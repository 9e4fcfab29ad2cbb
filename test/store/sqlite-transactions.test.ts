// SQLite's hand-prepared batches (queries/append-sqlite.ts, lease-batch-sqlite.ts) against two failures that would
// otherwise lose acknowledged writes: a statement failing in the middle of a batch, and a connection left inside a
// transaction by an earlier failure (better-sqlite3 would then nest a SAVEPOINT and commit nothing).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { openSqlite } from '../../src/store/sqlite.js';
import { KyselyStore } from '../../src/store/store.js';
import type { Mac } from '../../src/values/mac.js';
import { memoryLogger } from '../support/logger.js';

const MAC = '52:54:00:00:00:01' as Mac;
const event = (i: number) => ({ mac: MAC, source: 'dhcp' as const, kind: `K${String(i)}`, details: { i } });
const packet = (i: number) => ({
  at: 1_767_225_600_000 + i,
  mac: MAC,
  protocol: 'dhcp' as const,
  direction: 'in' as const,
  source: { address: '10.0.0.1' as never, port: 68 },
  destination: { address: '10.0.0.2' as never, port: 67 },
  payload: Uint8Array.of(i & 0xff),
  payloadLength: 1,
});

describe.each([false, true])('SQLite batches, writer thread %s', (writerThread) => {
  it('a statement failing in the middle of a batch writes nothing of it, and the next batch is written', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'fb-batches-'));
    const store = await openStore('sqlite', { dataDir, writerThread });
    onTestFinished(() => store.close());
    await store.migrate();
    await store.inventory.recordContact({ mac: MAC });
    const raw = new SqliteDatabase(path.join(dataDir, 'fleetboot.db'));
    onTestFinished(() => {
      raw.close();
    });
    // Row 80 of 90 fails: past the first chunk of 64, so a batch committed chunk by chunk would leave 64 rows.
    raw.exec(`create trigger fail_events before insert on events when new.kind = 'K80'
              begin select raise(abort, 'refused by the test'); end`);
    raw.exec(`create trigger fail_captures before insert on captured_packets when new.at = 1767225600080
              begin select raise(abort, 'refused by the test'); end`);
    const events = Array.from({ length: 90 }, (_, i) => event(i));
    await expect(store.events.appendMany(events)).rejects.toThrow(/refused by the test/);
    expect(raw.prepare('select count(*) as n from events').get()).toEqual({ n: 0 });
    const packets = Array.from({ length: 90 }, (_, i) => packet(i));
    await expect(store.captures.append(packets, { packets: 1000, bytes: 100_000 })).rejects.toThrow(
      /refused by the test/,
    );
    expect(raw.prepare('select count(*) as n from captured_packets').get()).toEqual({ n: 0 });
    expect(await store.events.appendMany(events.slice(0, 3))).toHaveLength(3);
  });
});

describe('SQLite batches on a connection left inside a transaction', () => {
  it('are refused, not nested into a savepoint that is never committed', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'fb-open-tx-')), 'fleetboot.db');
    const logger = memoryLogger('warn').logger;
    const { db, adapter, sqlite } = openSqlite({ file, busyTimeoutMs: 100, logger });
    const store = new KyselyStore({
      db,
      adapter,
      logger,
      now: () => 1_767_225_600_000,
      migrationSchema: undefined,
      sqlite,
    });
    onTestFinished(() => store.close());
    await store.migrate();
    await store.inventory.recordContact({ mac: MAC });
    sqlite.exec('BEGIN'); // what a COMMIT that failed would leave behind
    await expect(store.events.appendMany([event(1)])).rejects.toThrow(/transaction left open/);
    await expect(store.captures.append([packet(1)], { packets: 10, bytes: 1000 })).rejects.toThrow(
      /transaction left open/,
    );
    sqlite.exec('ROLLBACK');
    expect(await store.events.appendMany([event(2)])).toHaveLength(1);
  });
});
