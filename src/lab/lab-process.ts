import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { LabError, LabTimeoutError } from './errors.js';

export const DEFAULT_WAIT_MS = 10_000;
export const DEFAULT_STOP_GRACE_MS = 2_000;
/** Output kept per stream; a chatty process (tcpdump -v) must not grow a test's memory without bound. */
export const MAX_OUTPUT_CHARS = 4 * 1024 * 1024;

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type OutputStream = 'stdout' | 'stderr';

export interface WaitForLineOptions {
  readonly timeoutMs?: number;
  readonly stream?: OutputStream;
  /** Index of the first line to consider, to wait for the next occurrence of something already seen. */
  readonly from?: number;
}

/**
 * A process the lab started inside one of its namespaces. Its output is captured (bounded), and every wait on it
 * has a timeout. It runs in a process group of its own, so stopping it also stops what it forked.
 */
export class LabProcess {
  private readonly text: Record<OutputStream, string> = { stdout: '', stderr: '' };
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

  get stdout(): string {
    return this.text.stdout;
  }

  get stderr(): string {
    return this.text.stderr;
  }

  /** Undefined while the process runs. */
  get exit(): ExitStatus | undefined {
    return this.exitStatus;
  }

  /** Its standard input, when it was started with `stdin: 'pipe'`. */
  get stdin(): Writable | null {
    return this.child.stdin;
  }

  /** Complete lines printed so far (a trailing partial line is left out until its newline arrives). */
  lines(stream: OutputStream = 'stdout'): string[] {
    const lines = this.text[stream].split('\n');
    lines.pop();
    return lines;
  }

  /** Resolves with the first line matching `pattern`; rejects on timeout or if the process exits first. */
  waitForLine(pattern: RegExp | string, options: WaitForLineOptions = {}): Promise<string> {
    const { timeoutMs = DEFAULT_WAIT_MS, stream = 'stdout', from = 0 } = options;
    const matches = (line: string): boolean =>
      typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line);
    return this.waitFor(`a line matching ${String(pattern)} on ${stream}`, timeoutMs, () => {
      const found = this.lines(stream).slice(from).find(matches);
      if (found !== undefined) return { value: found };
      if (this.exitStatus) {
        throw new LabError(
          `${this.describe()} exited (${describeExit(this.exitStatus)}) before printing ${String(pattern)}`,
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
        reject(new LabTimeoutError(`${this.describe()}: waited ${timeoutMs} ms for ${what}`, this.text));
      }, timeoutMs);
      this.listeners.add(listener);
      listener();
    });
  }

  private append(stream: OutputStream, chunk: string): void {
    const room = MAX_OUTPUT_CHARS - this.text[stream].length;
    if (room <= 0) return;
    this.text[stream] += chunk.length <= room ? chunk : `${chunk.slice(0, room)}\n[output truncated]\n`;
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

export function describeExit(status: ExitStatus): string {
  return status.signal === null ? `code ${String(status.code)}` : `signal ${status.signal}`;
}
