import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LabError, LabTimeoutError } from '../../src/lab/errors.js';
import { describeExit, LabProcess } from '../../src/lab/lab-process.js';
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

  it('caps the output it keeps', async () => {
    const proc = node("const s = 'x'.repeat(1 << 20); for (let i = 0; i < 6; i++) process.stdout.write(s)");
    await proc.waitForExit();
    expect(proc.stdout.length).toBeLessThan(4 * 1024 * 1024 + 100);
    expect(proc.stdout.endsWith('[output truncated]\n')).toBe(true);
  });
});
