// The one place the lab runs `ip` itself (processes inside namespaces go through LabProcess). Async for building
// and tearing down a lab; sync only for the teardown in a process 'exit' or signal handler, where nothing async
// runs any more.
import { execFile, execFileSync } from 'node:child_process';
import { ipArgs, parseLinkNames, parseNamespaceNames } from './commands.js';
import { LabError } from './errors.js';

export const IP_TIMEOUT_MS = 10_000;

export class IpCommandError extends LabError {
  override readonly name = 'IpCommandError';
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    detail: string,
  ) {
    super(`ip ${args.join(' ')} failed: ${stderr.trim() || detail}`);
  }
}

/** Runs `ip ARGS`, resolving to its stdout; rejects with the command and its stderr. */
export function ip(args: readonly string[], timeoutMs = IP_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new IpCommandError(args, stderr, error.message));
      else resolve(stdout);
    });
  });
}

export type IpResult =
  { readonly ok: true; readonly stdout: string } | { readonly ok: false; readonly error: IpCommandError };

/** Runs `ip ARGS` synchronously; never throws, so one failed step of a teardown does not stop the others. */
export function ipSync(args: readonly string[], timeoutMs = IP_TIMEOUT_MS): IpResult {
  try {
    const stdout = execFileSync('ip', args, {
      timeout: timeoutMs,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { ok: true, stdout };
  } catch (error: unknown) {
    const stderr = isRecord(error) && typeof error['stderr'] === 'string' ? error['stderr'] : '';
    return {
      ok: false,
      error: new IpCommandError(args, stderr, error instanceof Error ? error.message : String(error)),
    };
  }
}

/** Runs `ip ARGS` without blocking; like ipSync, never throws (one failed teardown step must not stop the rest). */
export function ipResult(args: readonly string[], timeoutMs = IP_TIMEOUT_MS): Promise<IpResult> {
  return ip(args, timeoutMs).then(
    (stdout): IpResult => ({ ok: true, stdout }),
    (error: unknown): IpResult => ({
      ok: false,
      error: error instanceof IpCommandError ? error : new IpCommandError(args, '', String(error)),
    }),
  );
}

/** True when `ip` failed because the thing is already gone, which teardown counts as success. */
export function isAlreadyGone(error: IpCommandError): boolean {
  return /No such file or directory|Cannot find device|does not exist/.test(error.stderr);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Names of all network namespaces on the machine (ours and everyone else's: for looking, never for deleting). */
export async function listNamespaces(): Promise<string[]> {
  return parseNamespaceNames(await ip(ipArgs.listNamespaces()));
}

/** Interface names in a namespace, or in the caller's own namespace when `ns` is undefined. */
export async function listLinks(ns?: string): Promise<string[]> {
  return parseLinkNames(await ip(ipArgs.listLinks(ns)));
}
