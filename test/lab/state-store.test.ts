import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLabTag } from '../../src/lab/names.js';
import { LabError } from '../../src/lab/errors.js';
import { identify, isRunning, type ProcessIdentity } from '../../src/lab/proc.js';
import { type LabRecord, parseRecord } from '../../src/lab/state.js';
import { LabStateStore } from '../../src/lab/state-store.js';
import { sweepAbandonedLabs } from '../../src/lab/sweep.js';

// These run without root: the state files live in a temporary directory, and the records name processes only
// (namespaces need root and are covered by lab.test.ts).

let dir: string;
let store: LabStateStore;
const self = identify(process.pid)!;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fbl-state-'));
  store = new LabStateStore(path.join(dir, 'state'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function record(tag: string, owner: ProcessIdentity, processes: ProcessIdentity[] = []): LabRecord {
  return { version: 1, tag: parseLabTag(tag), name: 'test', owner, namespaces: [], processes };
}

/** The identity of a process that has exited: what a SIGKILLed owner leaves behind. */
async function deadProcess(): Promise<ProcessIdentity> {
  const child = spawn('sleep', ['10']);
  const identity = identify(child.pid!)!;
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
  return identity;
}

describe('lab state store', () => {
  it('reserves a tag once, in a directory only root can read, with files only root can read', () => {
    expect(store.reserve(record('fbl00001', self))).toBe(true);
    expect(store.reserve(record('fbl00001', self))).toBe(false);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(store.dir, 'fbl00001.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(store.dir)).toEqual(['fbl00001.json']); // no temporary file left
  });

  it('does not hand out a tag whose earlier lab is being swept', () => {
    expect(store.reserve(record('fbl00002', self))).toBe(true);
    expect(store.claim('fbl00002.json', record('fbl00002', self), self)).toBeDefined();
    expect(store.reserve(record('fbl00002', self))).toBe(false);
    expect(readdirSync(store.dir)).toEqual([`fbl00002.sweep-${process.pid}.json`]);
  });

  it('replaces a record in place and lists what it reads', () => {
    store.reserve(record('fbl00003', self));
    const updated = { ...record('fbl00003', self), namespaces: ['fbl00003-sw0'] };
    store.write(updated);
    expect(store.list()).toEqual([{ file: 'fbl00003.json', tag: 'fbl00003', record: updated }]);
  });

  it('lists unreadable files as errors and ignores files that are not state files', () => {
    store.reserve(record('fbl00004', self));
    writeFileSync(path.join(store.dir, 'fbl00005.json'), '{"version":1,');
    writeFileSync(path.join(store.dir, 'notes.txt'), 'hello');
    const entries = store.list();
    expect(entries.map((e) => e.file)).toEqual(['fbl00004.json', 'fbl00005.json']);
    expect(entries[1]).toMatchObject({ tag: 'fbl00005', error: expect.any(String) as string });
  });

  it('lets exactly one of two sweepers claim a file, and records the winner as owner', async () => {
    const dead = await deadProcess();
    store.reserve(record('fbl00006', dead));
    const first = store.claim('fbl00006.json', record('fbl00006', dead), self);
    const second = store.claim('fbl00006.json', record('fbl00006', dead), { pid: 99999, startTime: 1 });
    expect(first?.file).toBe(`fbl00006.sweep-${process.pid}.json`);
    expect(second).toBeUndefined();
    const onDisk = parseRecord(readFileSync(path.join(store.dir, first!.file), 'utf8'));
    expect(onDisk.owner).toEqual(self);
  });

  it('reads an empty list when the directory does not exist yet', () => {
    expect(store.list()).toEqual([]);
  });
});

describe('sweeping abandoned labs', () => {
  it('stops the processes of a lab whose owner died, by recorded identity, and removes its file', async () => {
    const orphan = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const closed = new Promise((resolve) => orphan.on('close', resolve));
    const orphanId = identify(orphan.pid!)!;
    const dead = await deadProcess();
    store.reserve(record('fbl00010', dead, [orphanId]));
    store.reserve(record('fbl00011', self)); // alive: must be left alone

    const report = await sweepAbandonedLabs(store, 1_000);

    expect(report.errors).toEqual([]);
    expect(report.swept).toEqual([
      {
        tag: 'fbl00010',
        name: 'test',
        ownerPid: dead.pid,
        deletedNamespaces: [],
        stoppedProcesses: [orphan.pid],
      },
    ]);
    expect(isRunning(orphanId)).toBe(false);
    await closed;
    expect(readdirSync(store.dir)).toEqual(['fbl00011.json']);
  });

  it('never signals a recorded PID that now belongs to another process', async () => {
    const bystander = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const real = identify(bystander.pid!)!;
    const dead = await deadProcess();
    // Same PID, different start time: the recorded process is long gone and the PID was reused.
    store.reserve(record('fbl00012', dead, [{ pid: real.pid, startTime: real.startTime - 1 }]));
    const report = await sweepAbandonedLabs(store, 200);
    expect(report.swept.map((s) => s.stoppedProcesses)).toEqual([[]]);
    expect(isRunning(real)).toBe(true);
    bystander.kill('SIGKILL');
    await new Promise((resolve) => bystander.on('close', resolve));
  });

  it('waits for a stubborn orphan without blocking the event loop', async () => {
    const orphan = spawn(
      process.execPath,
      ['-e', "process.on('SIGTERM', () => {}); console.log('armed'); setInterval(() => {}, 1000)"],
      { detached: true, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const closed = new Promise((resolve) => orphan.on('close', resolve));
    await new Promise((resolve) => orphan.stdout.once('data', resolve)); // its SIGTERM handler is in place
    const orphanId = identify(orphan.pid!)!;
    store.reserve(record('fbl00015', await deadProcess(), [orphanId]));
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 5);
    try {
      const sweeping = sweepAbandonedLabs(store, 300);
      // A blocking sweep would have killed the orphan before returning: it ignores SIGTERM for the whole grace.
      expect(isRunning(orphanId)).toBe(true);
      const report = await sweeping;
      expect(report.swept.map((s) => s.stoppedProcesses)).toEqual([[orphan.pid]]);
      expect(ticks).toBeGreaterThan(0); // timers ran during the grace period
    } finally {
      clearInterval(ticker);
    }
    expect(isRunning(orphanId)).toBe(false);
    await closed;
  });

  it('keeps unreadable state files and reports them', async () => {
    store.reserve(record('fbl00013', self));
    writeFileSync(path.join(store.dir, 'fbl00014.json'), 'garbage');
    const report = await sweepAbandonedLabs(store, 200);
    expect(report.swept).toEqual([]);
    expect(report.errors).toEqual([expect.stringContaining('fbl00014.json')]);
    expect(readdirSync(store.dir).sort()).toEqual(['fbl00013.json', 'fbl00014.json']);
  });
});

describe('the state directory', () => {
  const WHY =
    'the lab refuses it because its sweep signals the processes named in the files there; ' +
    'remove it, or fix its owner and mode (chmod 700)';
  const uid = process.geteuid!();

  /** A directory owned by another user: made so as root, or one root owns when not root. */
  function foreignDirectory(): { dir: string; owner: number } {
    if (uid !== 0) return { dir: '/', owner: 0 };
    const foreign = path.join(dir, 'foreign');
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, 65534, 65534);
    return { dir: foreign, owner: 65534 };
  }

  it('is created for root only when missing, and an existing one of the same kind is used', () => {
    expect(store.reserve(record('fbl00020', self))).toBe(true);
    expect(new LabStateStore(store.dir).list()).toHaveLength(1);
  });

  it.each([
    [
      'a symbolic link, even to a good directory',
      (target: string) => {
        mkdirSync(`${target}.real`, { mode: 0o700 });
        symlinkSync(`${target}.real`, target);
        return 'is a symbolic link';
      },
    ],
    [
      'a file',
      (target: string) => {
        writeFileSync(target, '');
        return 'is not a directory';
      },
    ],
    [
      'open to its group',
      (target: string) => {
        mkdirSync(target, { mode: 0o700 });
        chmodSync(target, 0o750);
        return 'has mode 0750: its group and others must have no access';
      },
    ],
    [
      'open to others',
      (target: string) => {
        mkdirSync(target, { mode: 0o700 });
        chmodSync(target, 0o701);
        return 'has mode 0701: its group and others must have no access';
      },
    ],
  ])('is refused when it is %s', (_what, make) => {
    const target = path.join(dir, 'bad');
    const problem = make(target);
    const message = `lab state directory ${target} ${problem}; ${WHY}`;
    const bad = new LabStateStore(target);
    expect(() => bad.list()).toThrow(new LabError(message));
    expect(() => bad.reserve(record('fbl00021', self))).toThrow(new LabError(message));
    expect(() => bad.list()).toThrow(LabError);
  });

  it('is refused when another user owns it', () => {
    const { dir: foreign, owner } = foreignDirectory();
    expect(() => new LabStateStore(foreign).list()).toThrow(
      new LabError(`lab state directory ${foreign} is owned by uid ${owner}, not by uid ${uid}; ${WHY}`),
    );
  });

  it('is never swept when it is not private: a process named there keeps running', async () => {
    const bystander = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const closed = new Promise((resolve) => bystander.on('close', resolve));
    const id = identify(bystander.pid!)!;
    try {
      store.reserve(record('fbl00022', await deadProcess(), [id]));
      chmodSync(store.dir, 0o777); // anyone could have written that file
      await expect(sweepAbandonedLabs(store, 200)).rejects.toThrow(/has mode 0777/);
      expect(isRunning(id)).toBe(true);
    } finally {
      bystander.kill('SIGKILL');
      await closed;
    }
  });
});
