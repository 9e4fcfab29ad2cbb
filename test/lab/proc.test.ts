import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { identify, isRunning, parseProcStat, readProcStat, sleepSync } from '../../src/lab/proc.js';

// A real /proc/PID/stat line (of a process whose name has a space and parentheses), fields 1–22 and beyond.
const STAT =
  '4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 1000 0 0 0 12 3 0 0 20 0 1 0 987654 12345678 400 ' +
  '18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';

describe('process identity', () => {
  it('parses state and start time, whatever the command name contains', () => {
    expect(parseProcStat(STAT)).toEqual({ pid: 4242, state: 'S', startTime: 987654 });
  });

  it('refuses text that is not a stat line', () => {
    expect(() => parseProcStat('')).toThrow();
    expect(() => parseProcStat('4242 (x) S 1')).toThrow();
  });

  it('identifies this process, and tells it from a process with the same PID that started at another time', () => {
    const self = identify(process.pid);
    expect(self?.pid).toBe(process.pid);
    expect(isRunning(self!)).toBe(true);
    expect(isRunning({ pid: process.pid, startTime: self!.startTime + 1 })).toBe(false);
  });

  it('counts a zombie as not running', async () => {
    // The child exits at once; while this thread sleeps synchronously Node cannot reap it, so it is a zombie.
    const child = spawn('true');
    const identity = identify(child.pid!);
    const deadline = Date.now() + 5_000;
    while (readProcStat(child.pid!)?.state !== 'Z' && Date.now() < deadline) sleepSync(10);
    expect(readProcStat(child.pid!)?.state).toBe('Z');
    expect(identity === undefined || !isRunning(identity)).toBe(true);
    await new Promise((resolve) => child.on('close', resolve));
    expect(readProcStat(child.pid!)).toBeUndefined();
  });

  it('sleeps synchronously for about the time asked', () => {
    const start = Date.now();
    sleepSync(50);
    expect(Date.now() - start).toBeGreaterThanOrEqual(45);
  });
});
