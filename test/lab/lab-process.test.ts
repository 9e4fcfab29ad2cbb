import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LabError, LabTimeoutError } from '../../src/lab/errors.js';
import { describeExit, LabProcess } from '../../src/lab/lab-process.js';
import { MAX_LINE_CHARS, MAX_OUTPUT_CHARS } from '../../src/lab/line-buffer.js';
import { identify, isRunning } from '../../src/lab/proc.js';

// LabProcess wraps any child process; here it wraps plain Node children (no namespace, no root needed).
function node(script: string): LabProcess {
  const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  return new LabProcess(child, child.pid!, 'none', ['node', '-e', script]);
}

describe('LabProcess', () => {
  it('captures output and waits for a line and for the exit', async () => {
    const proc = node(
      "console.log('one'); setTimeout(() => { console.log('ready 42'); console.error('warn'); }, 50)",
    );
    await expect(proc.waitForLine(/ready (\d+)/)).resolves.toBe('ready 42');
    await expect(proc.waitForExit()).resolves.toEqual({ code: 0, signal: null });
    expect(proc.lines()).toEqual(['one', 'ready 42']);
    expect(proc.lines('stderr')).toEqual(['warn']);
    expect(proc.stdout).toBe('one\nready 42\n');
  });

  it('waits for the next occurrence after a given line', async () => {
    const proc = node("console.log('tick'); setTimeout(() => console.log('tick'), 50)");
    await proc.waitForLine('tick');
    await expect(proc.waitForLine('tick', { from: 1 })).resolves.toBe('tick');
    expect(proc.lines()).toHaveLength(2);
    await proc.waitForExit();
  });

  it('fails a wait at its timeout, with the output so far in the error', async () => {
    const proc = node("console.log('started'); setInterval(() => {}, 1000)");
    const error = await proc.waitForLine('never', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LabTimeoutError);
    expect(String(error)).toMatch(/waited 300 ms for a line matching never on stdout[\s\S]*started/);
    await expect(proc.stop()).resolves.toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('fails a wait for a line at once when the process exits without printing it', async () => {
    const proc = node('process.exit(3)');
    await expect(proc.waitForLine('never', { timeoutMs: 5_000 })).rejects.toThrow(
      new LabError(`node -e process.exit(3) (pid ${proc.pid} in none) exited (code 3) before printing never`),
    );
  });

  it('says what a process printed when it exits before the line waited for', async () => {
    const proc = node("console.log('starting'); console.error('config: no such file'); process.exit(2)");
    await expect(proc.waitForLine('ready', { timeoutMs: 5_000 })).rejects.toThrow(
      /exited \(code 2\) before printing ready\n--- stdout ---\nstarting\n\n--- stderr ---\nconfig: no such file\n$/,
    );
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const proc = node("process.on('SIGTERM', () => {}); console.log('armed'); setInterval(() => {}, 1000)");
    await proc.waitForLine('armed');
    const started = Date.now();
    await expect(proc.stop(300)).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('stops what the process forked, through its process group', async () => {
    const proc = node(
      "const c = require('child_process').spawn('sleep', ['60'], { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1000)",
    );
    const grandchild = identify(Number(await proc.waitForLine(/^\d+$/)))!;
    await proc.stop();
    const deadline = Date.now() + 5_000;
    while (isRunning(grandchild) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(isRunning(grandchild)).toBe(false);
  });

  it('reports exits to callbacks, also ones registered afterwards', async () => {
    const proc = node('process.exit(0)');
    const seen: string[] = [];
    proc.onExit((s) => seen.push(`early ${describeExit(s)}`));
    await proc.waitForExit();
    proc.onExit((s) => seen.push(`late ${describeExit(s)}`));
    expect(seen).toEqual(['early code 0', 'late code 0']);
    expect(describeExit({ code: null, signal: 'SIGKILL' })).toBe('signal SIGKILL');
  });

  it('caps the output it keeps, dropping the oldest part of a line that never ends', async () => {
    const proc = node("const s = 'x'.repeat(1 << 20); for (let i = 0; i < 6; i++) process.stdout.write(s)");
    await proc.waitForExit();
    expect(proc.stdout.length).toBeLessThanOrEqual(MAX_OUTPUT_CHARS + MAX_LINE_CHARS + 100);
    expect(proc.stdout).toMatch(/^\[output truncated: \d+ earlier lines dropped\]\nx+\n/);
  });
});

/** A child process whose output the test writes, chunk by chunk, each delivered before the next is written. */
class FakeChild extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin = null;

  async print(...chunks: (string | Buffer)[]): Promise<void> {
    for (const chunk of chunks) {
      this.stdout.write(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  exit(): void {
    this.emit('close', 0, null);
  }
}

function fake(): { child: FakeChild; proc: LabProcess } {
  const child = new FakeChild();
  return { child, proc: new LabProcess(child as unknown as ChildProcess, 999_999, 'none', ['fake']) };
}

/** A pattern that counts the lines it is tried on. */
class CountingRegExp extends RegExp {
  calls = 0;
  override test(text: string): boolean {
    this.calls += 1;
    return super.test(text);
  }
}

describe('LabProcess output', () => {
  it('tries each line once per waiter, however many chunks it arrives in', async () => {
    const { child, proc } = fake();
    const patterns = [
      new CountingRegExp('^done$'),
      new CountingRegExp('^done$'),
      new CountingRegExp('^done$'),
    ];
    const waits = patterns.map((p) => proc.waitForLine(p));
    await child.print(...Array.from({ length: 3_000 }, (_, i) => `line ${i}\n`), 'done\n');
    await expect(Promise.all(waits)).resolves.toEqual(['done', 'done', 'done']);
    // Re-reading everything held on every chunk would try about 4.5 million lines per waiter.
    expect(patterns.map((p) => p.calls)).toEqual([3_001, 3_001, 3_001]);
    child.exit();
  });

  it('matches a line split across chunks once its newline arrives', async () => {
    const { child, proc } = fake();
    let found: string | undefined;
    const wait = proc.waitForLine(/ready \d+/).then((line) => (found = line));
    await child.print('rea', 'dy 4');
    expect(found).toBeUndefined();
    expect(proc.lines()).toEqual([]);
    await child.print('2\nnext');
    await wait;
    expect(found).toBe('ready 42');
    expect(proc.lines()).toEqual(['ready 42']);
    expect(proc.stdout).toBe('ready 42\nnext');
    // A character split between two reads is decoded whole.
    const bytes = Buffer.from('grüß\n');
    await child.print(bytes.subarray(0, 3), bytes.subarray(3));
    expect(proc.lines()).toEqual(['ready 42', 'nextgrüß']);
    child.exit();
  });

  it('keeps matching new lines after the cap, and keeps only a bounded tail', async () => {
    const { child, proc } = fake();
    const early = proc.waitForLine('needle', { timeoutMs: 5_000 });
    const filler = `${'f'.repeat(1023)}\n`.repeat(64); // 64 KiB a chunk, like a pipe read
    const chunks = Math.ceil((MAX_OUTPUT_CHARS * 1.5) / filler.length);
    await child.print(...Array.from({ length: chunks }, () => filler));
    const late = proc.waitForLine('needle', { timeoutMs: 5_000, from: proc.lineCount() });
    await child.print('needle\n');
    await expect(early).resolves.toBe('needle');
    await expect(late).resolves.toBe('needle');
    expect(proc.lineCount()).toBe(chunks * 64 + 1);
    expect(proc.lines().at(-1)).toBe('needle');
    expect(proc.stdout.length).toBeLessThanOrEqual(MAX_OUTPUT_CHARS + filler.length + 100);
    expect(proc.stdout).toMatch(/^\[output truncated: \d+ earlier lines dropped\]\nf+\n/);
    child.exit();
  });
});
