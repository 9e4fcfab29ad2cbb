import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { memoryLogger } from '../support/logger.js';
import { storeConformance, type StoreHarness } from './conformance.js';
import { ip, lease, mac, SUBNET } from './fixtures.js';
import { isAsleep } from './processes/asleep.js';
import { type Child, spawnScript } from './processes/spawn.js';

/** A fresh data directory per test; the database is `sqlite` in it, i.e. `<dataDir>/fleetboot.db`. */
export const sqliteHarness: StoreHarness = () => sqliteTarget(false);

/** The same, with the hot-path writes on the writer thread, as `fleetboot serve` opens it. */
const writerThreadHarness: StoreHarness = () => sqliteTarget(true);

function sqliteTarget(writerThread: boolean): ReturnType<StoreHarness> {
  const root = mkdtempSync(path.join(tmpdir(), 'fleetboot-store-'));
  const dataDir = path.join(root, 'data');
  const opened: Store[] = [];
  onTestFinished(async () => {
    await Promise.all(opened.map((store) => store.close()));
    rmSync(root, { recursive: true, force: true });
  });
  return Promise.resolve({
    dialect: 'sqlite',
    async open(options = {}) {
      const store = await openStore('sqlite', { dataDir, writerThread, ...options });
      opened.push(store);
      return store;
    },
    execute(statement) {
      const db = new SqliteDatabase(path.join(dataDir, 'fleetboot.db'), { timeout: 5000 });
      try {
        db.exec(statement);
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
    query(statement, parameters = []) {
      const db = new SqliteDatabase(path.join(dataDir, 'fleetboot.db'), { readonly: true, timeout: 5000 });
      try {
        return Promise.resolve(db.prepare(statement).all(...parameters) as Record<string, unknown>[]);
      } finally {
        db.close();
      }
    },
  });
}

describe('SQLite store', () => {
  storeConformance(sqliteHarness);
});

describe('SQLite store with the writer thread', () => {
  storeConformance(writerThreadHarness);
});

function tempDataDir(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'fleetboot-sqlite-'));
  onTestFinished(() => {
    rmSync(root, { recursive: true, force: true });
  });
  return path.join(root, 'var', 'fleetboot');
}

const modeOf = (file: string) => statSync(file).mode & 0o777;

/** A child process that is killed when the test ends, if it is still running (a failed test must not leak it). */
function started(script: string, args: readonly string[]): Child {
  const child = spawnScript(script, args);
  onTestFinished(() => {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  });
  return child;
}

describe('SQLite files and locking', () => {
  it('creates the data directory 0750 and the database, WAL and SHM files 0600 under any umask (catalogue S14)', async () => {
    const dataDir = tempDataDir();
    const file = path.join(dataDir, 'fleetboot.db');
    const previous = process.umask(0o000); // the most permissive umask: modes must not depend on it
    let store: Store;
    try {
      store = await openStore('sqlite', { dataDir });
    } finally {
      process.umask(previous);
    }
    await store.migrate();
    await store.leases.commit(lease(1, '192.0.2.10', Date.now() + 60_000));
    expect(modeOf(dataDir).toString(8)).toBe('750');
    for (const f of [file, `${file}-wal`, `${file}-shm`])
      expect([f, modeOf(f).toString(8)]).toEqual([f, '600']);
    await store.close();
    const reopened = await openStore('sqlite', { dataDir });
    await reopened.leases.commit(lease(2, '192.0.2.11', Date.now() + 60_000));
    for (const f of [file, `${file}-wal`, `${file}-shm`])
      expect([f, modeOf(f).toString(8)]).toEqual([f, '600']);
    await reopened.close();
  });

  it('warns about an existing database file that other users can read, and leaves its mode alone', async () => {
    const dataDir = tempDataDir();
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, 'fleetboot.db');
    writeFileSync(file, '', { mode: 0o644 });
    chmodSync(file, 0o644);
    const { logger, lines } = memoryLogger();
    const store = await openStore('sqlite', { dataDir, logger });
    await store.close();
    expect(lines()).toContainEqual(expect.objectContaining({ level: 40, file, mode: '644' }));
    expect(modeOf(file).toString(8)).toBe('644');
  });

  it('runs in WAL mode with foreign keys and a synchronous commit per transaction (catalogue F15)', async () => {
    const dataDir = tempDataDir();
    const store = await openStore('sqlite', { dataDir });
    await store.migrate();
    const raw = new SqliteDatabase(path.join(dataDir, 'fleetboot.db'), { readonly: true });
    try {
      // journal_mode is a property of the file, so another connection sees what the store set.
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
    // Foreign keys are on: forgetting a machine removes its interfaces (ON DELETE CASCADE), so its MAC is free.
    const { machine } = await store.inventory.recordContact({ mac: mac(1) });
    await store.inventory.forget(machine.id);
    expect((await store.inventory.recordContact({ mac: mac(1) })).created).toBe(true);
    await store.close();
  });

  it('waits for another process holding the write lock (busy_timeout) instead of failing at once (F07)', async () => {
    const dataDir = tempDataDir();
    const store = await openStore('sqlite', { dataDir });
    onTestFinished(() => store.close());
    await store.migrate();
    // The waiting commit runs in a child: better-sqlite3 waits for a lock by blocking its thread. Its busy
    // timeout is far longer than this test can take, so only the lock decides when it commits.
    const committer = started('commit-one.ts', [dataDir, '600000']);
    await committer.waitFor(/^ready$/);
    const holder = started('hold-lock.ts', [path.join(dataDir, 'fleetboot.db')]);
    await holder.waitFor(/^locked$/);
    committer.send('commit');
    await committer.waitFor(/^committing$/);
    // Its commit tries for the lock and either gives up (the bug) or sleeps in SQLite's busy handler until the
    // lock is free: wait for one of the two, then require the second, with the lock still held.
    const outcomes = () => committer.lines.filter((line) => /^(committed|failed)/.test(line));
    await expect.poll(() => outcomes().length > 0 || isAsleep(committer.process.pid ?? 0)).toBe(true);
    expect(outcomes()).toEqual([]);
    holder.send('release');
    await holder.waitFor(/^released$/);
    expect(await committer.waitFor(/^(committed|failed)/)).toBe('committed');
    expect(await holder.exited).toEqual({ code: 0, signal: null });
    expect(await committer.exited).toEqual({ code: 0, signal: null });
    expect(await store.leases.findByAddress(ip('192.0.2.10'))).toEqual(
      lease(1, '192.0.2.10', 2_000_000_000_000),
    );
  });

  it('gives up after busy_timeout with StoreBusyError, and writes nothing (F07: never ACK an uncommitted lease)', async () => {
    const dataDir = tempDataDir();
    const store = await openStore('sqlite', { dataDir, busyTimeoutMs: 100 });
    onTestFinished(() => store.close());
    await store.migrate();
    // The holder keeps the lock until told, however long this process takes to get to its commit.
    const holder = started('hold-lock.ts', [path.join(dataDir, 'fleetboot.db')]);
    await holder.waitFor(/^locked$/);
    await expect(store.leases.commit(lease(1, '192.0.2.10', Date.now() + 60_000))).rejects.toMatchObject({
      name: 'StoreBusyError',
      code: 'FLEETBOOT_STORE_BUSY',
      cause: { code: 'SQLITE_BUSY' },
    });
    expect(store.health()).toBe('up'); // busy is not down: the next request may get through
    holder.send('release');
    expect(await holder.exited).toEqual({ code: 0, signal: null });
    expect(await store.leases.findByAddress(ip('192.0.2.10'))).toBeUndefined();
  });

  it.each([
    ['one commit at a time', 'single'],
    ['batches through commitMany on the writer thread, as serve commits', 'writer-batch'],
  ])(
    'keeps every lease acknowledged before a kill -9, and the database stays intact (F01, I2): %s',
    async (_, mode) => {
      const dataDir = tempDataDir();
      const child = started('commit-leases.ts', [dataDir, '240', mode]);
      await child.waitFor(/^committed 20$/);
      // Most likely mid-commit; if this process was slow, the child has written all it will and waits.
      child.process.kill('SIGKILL');
      expect((await child.exited).signal).toBe('SIGKILL');
      const acknowledged = child.lines
        .flatMap((line) => /^committed (\d+)$/.exec(line)?.[1] ?? [])
        .map(Number);
      expect(acknowledged.length).toBeGreaterThanOrEqual(21);

      const store = await openStore('sqlite', { dataDir });
      onTestFinished(() => store.close());
      expect(await store.migrate()).toEqual([]);
      const stored = await store.leases.listBySubnet(SUBNET);
      for (const i of acknowledged) {
        expect(stored).toContainEqual(lease(i, `192.0.2.${10 + i}`, 2_000_000_000_000 + i));
      }
      // A commit (a batch of 4 on the writer thread) in flight at the kill is either all there or not there at all.
      const unacknowledged = stored.length - acknowledged.length;
      expect([0, mode === 'writer-batch' ? 4 : 1]).toContain(unacknowledged);
      const raw = new SqliteDatabase(path.join(dataDir, 'fleetboot.db'), { readonly: true });
      try {
        expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        raw.close();
      }
    },
  );

  it('refuses to open a database it cannot create with StoreUnavailableError, naming the file (F06)', async () => {
    const dataDir = tempDataDir();
    mkdirSync(path.dirname(dataDir), { recursive: true });
    writeFileSync(dataDir, 'a file where the data directory should be');
    const attempt = openStore('sqlite', { dataDir });
    await expect(attempt).rejects.toThrow(StoreUnavailableError);
    await expect(attempt).rejects.toThrow(path.join(dataDir, 'fleetboot.db'));
  });

  it('opens sqlite::memory: without touching the data directory', async () => {
    const dataDir = tempDataDir();
    const store = await openStore('sqlite::memory:', { dataDir });
    await store.migrate();
    await store.inventory.recordContact({ mac: mac(1) });
    expect((await store.inventory.list()).total).toBe(1);
    await store.close();
    expect(existsSync(dataDir)).toBe(false);
  });
});
