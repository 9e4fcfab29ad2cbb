// Runs one of the child-process scripts beside this file with tsx, follows its standard output by line, and tells
// it what to do next on its standard input: tests wait for events, never for time.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface Child {
  readonly process: ChildProcess;
  /** Lines written to standard output so far. */
  readonly lines: string[];
  /** Resolves when a line matches; rejects if the child exits first or the time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Writes one line to the child's standard input. */
  send(line: string): void;
}

export function spawnScript(script: string, args: readonly string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, script), ...args], {
    cwd: path.resolve(HERE, '../../..'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // A child killed by a test ends its stdin too; writing to it then must not crash the runner.
  child.stdin.on('error', () => undefined);
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of waiters) wake();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': it comes after the last output has been read.
    child.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal });
      for (const wake of waiters) wake();
    });
  });
  return {
    process: child,
    lines,
    exited,
    send(line) {
      child.stdin.write(`${line}\n`);
    },
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line matching ${String(pattern)} within ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        function check(): void {
          const line = lines.find((l) => pattern.test(l));
          if (line === undefined && !done) return;
          clearTimeout(timer);
          waiters.delete(check);
          if (line === undefined)
            reject(new Error(`${script} exited before printing ${String(pattern)}: ${stderr}`));
          else resolve(line);
        }
        waiters.add(check);
        check();
      });
    },
  };
}
