// The record `fleetboot lab up` leaves so that `fleetboot lab down` (another process, later) finds what to remove:
// the process that owns the lab (it holds the namespaces and their processes; signalled only while its start time
// matches, src/lab/proc.ts) and the directory it created. One lab up at a time per state directory.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ProcessIdentity } from '../../lab/proc.js';

export const UP_RECORD_FILE = 'lab-up.json';
/** Written into the directory lab up creates; lab down removes a directory only when it holds this file. */
export const DIR_MARKER = '.fleetboot-lab-up';

export interface UpRecord {
  readonly version: 1;
  /** The lab's tag (its namespaces start with it). */
  readonly tag: string;
  readonly owner: ProcessIdentity;
  /** The directory lab up created: config, data, serial logs, disks. */
  readonly dir: string;
}

export function upRecordPath(stateDir: string): string {
  return path.join(stateDir, UP_RECORD_FILE);
}

/** The record, undefined when there is none; throws on a file that is not one (never act on a guess). */
export function readUpRecord(stateDir: string): UpRecord | undefined {
  let text;
  try {
    text = readFileSync(upRecordPath(stateDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseUpRecord(text);
}

export function parseUpRecord(text: string): UpRecord {
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null) throw new Error('not a JSON object');
  const { version, tag, owner, dir } = value as Record<string, unknown>;
  if (version !== 1) throw new Error(`unknown version ${String(version)}`);
  if (typeof tag !== 'string' || !/^fbl[0-9a-z]+$/.test(tag)) throw new Error(`bad tag ${String(tag)}`);
  if (typeof dir !== 'string' || !path.isAbsolute(dir) || path.resolve(dir) === '/') {
    throw new Error(`bad directory ${String(dir)}`);
  }
  if (typeof owner !== 'object' || owner === null) throw new Error('no owner');
  const { pid, startTime } = owner as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1)
    throw new Error(`bad pid ${String(pid)}`);
  if (typeof startTime !== 'number' || !Number.isInteger(startTime) || startTime < 0) {
    throw new Error(`bad start time ${String(startTime)}`);
  }
  return { version: 1, tag, owner: { pid, startTime }, dir };
}

/** Written atomically (rename), so lab down never reads half a record. */
export function writeUpRecord(stateDir: string, record: UpRecord): void {
  const target = upRecordPath(stateDir);
  const temp = `${target}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, target);
}

export function removeUpRecord(stateDir: string): void {
  rmSync(upRecordPath(stateDir), { force: true });
}
