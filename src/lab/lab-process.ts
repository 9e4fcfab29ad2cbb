import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { describeOutput, LabError, LabTimeoutError } from './errors.js';
import { LineBuffer } from './line-buffer.js';

export const DEFAULT_WAIT_MS = 10_000;
export const DEFAULT_STOP_GRACE_MS = 2_000;

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type OutputStream = 'stdout' | 'stderr';

export interface WaitForLineOptions {
  readonly timeoutMs?: number;
  readonly stream?: OutputStream;
  /**
   * Index of the first line to consider, counting every line printed (also those dropped at the output cap):
   * `from: proc.lineCount()` waits for a line printed from now on, not one already seen.
   */
  readonly from?: number;
}

/**
 * A process the lab started inside one of its namespaces. Its output is captured (bounded), and every wait on it
 * has a timeout. It runs in a process group of its own, so stopping it also stops what it forked.
 */
export class LabProcess {
  private readonly output: Record<OutputStream, LineBuffer> = {
    stdout: new LineBuffer(),
    stderr: new LineBuffer(),
  };
  private exitStatus: ExitStatus | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    /** The namespace it runs in. */
    readonly namespace: string,
    /** The command and its arguments, as given to `run`. */
    readonly command: readonly string[],
  ) {
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = child[stream];
      source?.setEncoding('utf8');
      source?.on('data', (chunk: string) => {
        this.append(stream, chunk);
      });
    }
    // 'close' rather than 'exit': by then both pipes are drained, so the output is complete.
    child.on('close', (code, signal) => {
      this.exitStatus = { code, signal };
      this.notify();
    });
    child.on('error', () => {
      // Spawn errors are caught by the lab before a LabProcess exists; a later error (signalling a process that
      // is gone) needs no handling, and an unhandled 'error' event would crash the test process.
    });
  }

  /** What it printed; past the cap (MAX_OUTPUT_CHARS) the oldest lines are dropped and a marker says so. */
  get stdout(): string {
    return this.output.stdout.text();
  }

  get stderr(): string {
    return this.output.stderr.text();
  }

  /** Undefined while the process runs. */
  get exit(): ExitStatus | undefined {
    return this.exitStatus;
  }

  /** Its standard input, when it was started with `stdin: 'pipe'`. */
  get stdin(): Writable | null {
    return this.child.stdin;
  }

  /** Complete lines held (a trailing partial line is left out until its newline arrives; see `stdout`). */
  lines(stream: OutputStream = 'stdout'): string[] {
    return this.output[stream].lines();
  }

  /** How many complete lines it has printed, dropped ones included: the `from` of a wait for the next one. */
  lineCount(stream: OutputStream = 'stdout'): number {
    return this.output[stream].lineCount;
  }

  /** Resolves with the first line matching `pattern`; rejects on timeout or if the process exits first. */
  waitForLine(pattern: RegExp | string, options: WaitForLineOptions = {}): Promise<string> {
    const { timeoutMs = DEFAULT_WAIT_MS, stream = 'stdout', from = 0 } = options;
    const matches = (line: string): boolean =>
      typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line);
    const buffer = this.output[stream];
    // Each wait keeps its own position, so every chunk costs a waiter only the lines that chunk completed.
    let next = from;
    return this.waitFor(`a line matching ${String(pattern)} on ${stream}`, timeoutMs, () => {
      for (next = Math.max(next, buffer.firstHeld); next < buffer.lineCount; next += 1) {
        const line = buffer.line(next);
        if (line !== undefined && matches(line)) return { value: line };
      }
      if (this.exitStatus) {
        // With what it printed: a process that dies at startup says why on stderr.
        const output = describeOutput({ stdout: this.stdout, stderr: this.stderr });
        throw new LabError(
          `${this.describe()} exited (${describeExit(this.exitStatus)}) before printing ${String(pattern)}${output}`,
        );
      }
      return undefined;
    });
  }

  waitForExit(timeoutMs = DEFAULT_WAIT_MS): Promise<ExitStatus> {
    return this.waitFor('its exit', timeoutMs, () =>
      this.exitStatus ? { value: this.exitStatus } : undefined,
    );
  }

  /** Sends a signal to its process group while it runs (never after: the PID may belong to someone else then). */
  signal(signal: NodeJS.Signals): void {
    if (this.exitStatus) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // The group is gone but the 'close' event has not arrived yet.
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<ExitStatus> {
    this.signal('SIGTERM');
    try {
      return await this.waitForExit(graceMs);
    } catch {
      this.signal('SIGKILL');
      return this.waitForExit(DEFAULT_WAIT_MS);
    }
  }

  /** Registers a callback for its exit (called at once if it has exited). */
  onExit(callback: (status: ExitStatus) => void): void {
    const check = (): void => {
      if (this.exitStatus) {
        this.listeners.delete(check);
        callback(this.exitStatus);
      }
    };
    this.listeners.add(check);
    check();
  }

  describe(): string {
    return `${this.command.join(' ')} (pid ${this.pid} in ${this.namespace})`;
  }

  private waitFor<T>(what: string, timeoutMs: number, check: () => { value: T } | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = (): void => {
        try {
          const result = check();
          if (result === undefined) return;
          finish();
          resolve(result.value);
        } catch (error: unknown) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const timer = setTimeout(() => {
        finish();
        const output = { stdout: this.stdout, stderr: this.stderr };
        reject(new LabTimeoutError(`${this.describe()}: waited ${timeoutMs} ms for ${what}`, output));
      }, timeoutMs);
      this.listeners.add(listener);
      listener();
    });
  }

  private append(stream: OutputStream, chunk: string): void {
    this.output[stream].append(chunk);
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

export function describeExit(status: ExitStatus): string {
  return status.signal === null ? `code ${String(status.code)}` : `signal ${status.signal}`;
}
