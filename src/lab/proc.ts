// Which process a PID is. A PID alone is not an identity: after a crash, the PID of a process the lab started
// may belong to an unrelated process by the time a sweep runs. The lab therefore records (pid, start time) and
// signals a PID only while both still match.
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks after boot at which the process started. */
  readonly startTime: number;
}

export interface ProcessStat {
  readonly pid: number;
  /** One letter: R, S, D, Z (zombie), T, … */
  readonly state: string;
  readonly startTime: number;
}

/** Parses /proc/PID/stat. The command name is in parentheses and may itself contain spaces and parentheses. */
export function parseProcStat(text: string): ProcessStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) throw new Error(`unparsable /proc stat: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, open).trim());
  // Fields after the name start at field 3 (state); start time is field 22.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = fields[0];
  const startTime = Number(fields[22 - 3]);
  if (!Number.isInteger(pid) || state === undefined || !Number.isInteger(startTime)) {
    throw new Error(`unparsable /proc stat: ${text.slice(0, 80)}`);
  }
  return { pid, state, startTime };
}

export function readProcStat(pid: number): ProcessStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone (or never was)
  }
}

export function identify(pid: number): ProcessIdentity | undefined {
  const stat = readProcStat(pid);
  return stat && stat.state !== 'Z' ? { pid, startTime: stat.startTime } : undefined;
}

/**
 * True while the very process named by the identity runs. A zombie counts as gone: it has already released its
 * namespaces, and while the blocking teardown of an exit handler runs Node cannot reap its own children.
 */
export function isRunning(process: ProcessIdentity): boolean {
  const stat = readProcStat(process.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === process.startTime;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms`: the exit handlers' teardown must wait for processes to die synchronously. */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
