import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';

const require = createRequire(import.meta.url);
/** The tsx loader, so a test runs the CLI from source exactly as `node dist/cli/main.js` runs it built. */
export const TSX_LOADER = require.resolve('tsx');
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface InProcessOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Standard output as a terminal of this width (`fleetboot status` redraws there). */
  readonly terminal?: { readonly columns: number };
  /** Stops a command that follows, as Ctrl-C would. */
  readonly signal?: AbortSignal;
}

/** Runs one command line in-process and returns what it printed and its exit code. */
export async function runInProcess(
  argv: readonly string[],
  options: InProcessOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const started = startInProcess(argv, options);
  const code = await started.done;
  return { code, stdout: started.stdout(), stderr: started.stderr() };
}

/** Starts one command line in-process: what it printed so far, and its exit code when it ends. */
export function startInProcess(
  argv: readonly string[],
  { env = {}, cwd = process.cwd(), terminal, signal }: InProcessOptions = {},
): { stdout(): string; stderr(): string; readonly done: Promise<number> } {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    cwd,
    terminal,
    signal,
  };
  return { stdout: () => stdout, stderr: () => stderr, done: runCli(argv, io) };
}

/** Starts `fleetboot ARGS` as a child process (a real process: signals, exit codes, file modes). */
export function spawnCli(
  argv: readonly string[],
  { env = {}, cwd }: { env?: NodeJS.ProcessEnv; cwd: string },
): ChildProcess {
  return spawn(process.execPath, ['--import', TSX_LOADER, CLI_MAIN, ...argv], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output and resolves its exit code, killing it (by its PID) if it outlives `timeoutMs`. */
export function waitForExit(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process ${child.pid} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Resolves the first JSON log line of `child` (standard error) that satisfies `match`, within `timeoutMs`. */
export function waitForLogLine(
  child: ChildProcess,
  match: (line: Record<string, unknown>) => boolean,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      reject(new Error(`no matching log line within ${timeoutMs} ms; saw:\n${buffered}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      for (const text of buffered.split('\n')) {
        if (!text.startsWith('{')) continue;
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          if (match(line)) {
            clearTimeout(timer);
            child.stderr?.off('data', onData);
            resolve(line);
            return;
          }
        } catch {
          // A partial line: wait for the rest of it.
        }
      }
    };
    child.stderr?.on('data', onData);
  });
}
