// The host tools an import runs (GNU tar, xorriso), each bounded in time and output, with errors that say which
// Debian package brings a missing tool.
import { CatalogError } from './errors.js';
import { execFile } from 'node:child_process';
import { hasCode } from './files.js';

export class ToolError extends CatalogError {
  override readonly name = 'ToolError';
}

/** The Debian package that brings each tool (scripts/setup-test.sh installs them for the tests). */
const PACKAGES: Readonly<Record<string, string>> = { tar: 'tar', xorriso: 'xorriso' };

export interface ToolRun {
  readonly timeoutMs: number;
  /** Listing a DVD's files takes a few MB. */
  readonly maxOutputBytes?: number;
}

/** Runs `command args…` without a shell and returns its standard output; a failure names the command and its stderr. */
export function runTool(command: string, args: readonly string[], run: ToolRun): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      {
        timeout: run.timeoutMs,
        maxBuffer: run.maxOutputBytes ?? 16 << 20,
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        if (hasCode(error, 'ENOENT')) {
          reject(
            new ToolError(
              `${command} is not installed: install Debian's ${PACKAGES[command] ?? command} package`,
            ),
          );
          return;
        }
        const detail = lastLines(stderr, 6) || error.message;
        const why = error.killed ? `timed out after ${String(run.timeoutMs / 1000)} s` : 'failed';
        reject(new ToolError(`${command} ${why}: ${detail}`));
      },
    );
  });
}

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('; ');
}
