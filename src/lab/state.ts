// The state file of a lab: what it created, so that a later run can remove it if this process dies without
// cleaning up (SIGKILL, a crash, a killed test worker). Pure: parsing and deciding; state-store.ts does the I/O.
import { belongsToLab, type LabTag, parseLabTag } from './names.js';
import type { ProcessIdentity } from './proc.js';

export const STATE_VERSION = 1;
export const DEFAULT_STATE_DIR = '/run/fleetboot-lab';

export interface LabRecord {
  readonly version: typeof STATE_VERSION;
  readonly tag: LabTag;
  /** The human label given to Lab.create (a test file's name), for whoever reads the file. */
  readonly name: string;
  /** The process that owns the lab; while it runs, nobody else touches the lab. */
  readonly owner: ProcessIdentity;
  /** Namespaces in creation order; every one starts with `${tag}-` (checked on parse). */
  readonly namespaces: readonly string[];
  /** Processes the lab started that may still run. */
  readonly processes: readonly ProcessIdentity[];
}

export function serializeRecord(record: LabRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** Parses and checks a state file. Throws on anything unexpected: a sweep must never act on a guess. */
export function parseRecord(text: string): LabRecord {
  const value = JSON.parse(text) as unknown;
  if (!isObject(value)) throw new Error('not a JSON object');
  if (value['version'] !== STATE_VERSION) throw new Error(`unknown version ${String(value['version'])}`);
  const tag = parseLabTag(stringField(value, 'tag'));
  const namespaces = arrayField(value, 'namespaces').map((ns) => {
    if (typeof ns !== 'string' || !belongsToLab(tag, ns)) {
      throw new Error(`namespace ${JSON.stringify(ns)} does not belong to lab ${tag}`);
    }
    return ns;
  });
  return {
    version: STATE_VERSION,
    tag,
    name: stringField(value, 'name'),
    owner: parseIdentity(value['owner']),
    namespaces,
    processes: arrayField(value, 'processes').map(parseIdentity),
  };
}

/**
 * State file names: `<tag>.json` while its owner holds it; `<tag>.sweep-<pid>.json` once a sweeping process has
 * claimed it (renaming is atomic, so exactly one sweeper wins).
 */
export function stateFileName(tag: LabTag): string {
  return `${tag}.json`;
}

export function sweepFileName(tag: LabTag, sweeperPid: number): string {
  return `${tag}.sweep-${sweeperPid}.json`;
}

/** The tag a state file is about, or undefined for files that are not ours (temporary files, strangers). */
export function tagOfStateFile(fileName: string): LabTag | undefined {
  const m = /^(fbl[0-9a-z]+)(?:\.sweep-\d+)?\.json$/.exec(fileName);
  if (!m?.[1]) return undefined;
  try {
    return parseLabTag(m[1]);
  } catch {
    return undefined;
  }
}

function parseIdentity(value: unknown): ProcessIdentity {
  if (!isObject(value)) throw new Error('process identity is not an object');
  const pid = value['pid'];
  const startTime = value['startTime'];
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1)
    throw new Error(`bad pid ${String(pid)}`);
  if (typeof startTime !== 'number' || !Number.isInteger(startTime) || startTime < 0) {
    throw new Error(`bad start time ${String(startTime)}`);
  }
  return { pid, startTime };
}

function stringField(value: Record<string, unknown>, key: string): string {
  const field = value[key];
  if (typeof field !== 'string') throw new Error(`${key} is not a string`);
  return field;
}

function arrayField(value: Record<string, unknown>, key: string): unknown[] {
  const field = value[key];
  if (!Array.isArray(field)) throw new Error(`${key} is not an array`);
  return field as unknown[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
