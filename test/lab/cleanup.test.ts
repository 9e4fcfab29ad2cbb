import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Lab, LabProcess, listNamespaces } from '../../src/lab/index.js';
import { identify, isRunning, type ProcessIdentity } from '../../src/lab/proc.js';
import { describeLab } from '../support/lab.js';

// The owner is a separate Node process (test/lab/fixtures/owner.ts) that builds a lab and then ends badly.
// Each test uses a state directory of its own, so a lab test running in parallel cannot sweep our leftovers first.

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const OWNER = fileURLToPath(new URL('./fixtures/owner.ts', import.meta.url));

interface Built {
  readonly tag: string;
  readonly namespaces: string[];
  readonly sleeper: ProcessIdentity;
}

interface Owner {
  readonly proc: LabProcess;
  readonly built: Built;
}

let stateDir: string;

beforeEach(() => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'fbl-cleanup-'));
});

afterEach(async () => {
  // Whatever a failed test left behind is swept here, by the mechanism under test in the other cases.
  const sweeper = await Lab.create({ name: 'cleanup.test afterEach', stateDir });
  await sweeper.destroy();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Starts the owner, in a process group of its own as LabProcess expects, and reads what it built. */
async function startOwner(mode: 'wait' | 'throw'): Promise<Owner> {
  const args = ['--import', 'tsx', OWNER, stateDir, mode];
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new LabProcess(child, child.pid!, 'the test runner namespace', ['node', ...args]);
  const line = await proc.waitForLine(/^\{/, { timeoutMs: 30_000 });
  const parsed = JSON.parse(line) as { tag: string; namespaces: string[]; pids: number[] };
  const sleeper = identify(parsed.pids[0]!);
  expect(sleeper, 'the sleeper runs').toBeDefined();
  return { proc, built: { tag: parsed.tag, namespaces: parsed.namespaces, sleeper: sleeper! } };
}

async function expectGone(built: Built): Promise<void> {
  expect((await listNamespaces()).filter((ns) => ns.startsWith(built.tag))).toEqual([]);
  expect(isRunning(built.sleeper)).toBe(false);
  expect(readdirSync(stateDir)).toEqual([]);
}

describeLab('a lab whose owner ends without destroying it', () => {
  it('is swept by the next Lab.create when its owner was SIGKILLed', async () => {
    const owner = await startOwner('wait');
    owner.proc.signal('SIGKILL');
    await expect(owner.proc.waitForExit()).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    // Nothing could run in the owner: everything is still there.
    const all = await listNamespaces();
    for (const ns of owner.built.namespaces) expect(all).toContain(ns);
    expect(isRunning(owner.built.sleeper)).toBe(true);
    expect(readdirSync(stateDir)).toEqual([`${owner.built.tag}.json`]);

    const next = await Lab.create({ name: 'sweeper', stateDir });
    try {
      expect(next.sweep).toEqual({
        swept: [
          {
            tag: owner.built.tag,
            name: 'owner fixture (wait)',
            ownerPid: owner.proc.pid,
            deletedNamespaces: [...owner.built.namespaces].reverse(),
            stoppedProcesses: [owner.built.sleeper.pid],
          },
        ],
        errors: [],
      });
    } finally {
      await next.destroy();
    }
    await expectGone(owner.built);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
    'is removed by the owner itself on %s, which then still dies of that signal',
    async (signal) => {
      const owner = await startOwner('wait');
      owner.proc.signal(signal);
      await expect(owner.proc.waitForExit()).resolves.toEqual({ code: null, signal });
      await expectGone(owner.built);
    },
  );

  it('is removed by the owner itself when it crashes with an uncaught exception', async () => {
    const owner = await startOwner('throw');
    await expect(owner.proc.waitForExit()).resolves.toEqual({ code: 1, signal: null });
    await expectGone(owner.built);
  });
});
