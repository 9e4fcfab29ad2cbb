// State files on disk, one per lab, in a root-only directory under /run (a tmpfs: a reboot, which also removes
// every namespace, clears the state with it). Synchronous on purpose: writes happen while the lab is built,
// and must also work from the 'exit' handler.
import {
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { LabError } from './errors.js';
import type { LabTag } from './names.js';
import type { ProcessIdentity } from './proc.js';
import {
  DEFAULT_STATE_DIR,
  type LabRecord,
  parseRecord,
  serializeRecord,
  stateFileName,
  sweepFileName,
  tagOfStateFile,
} from './state.js';

/** At most this many state files are looked at per sweep, so a flooded directory cannot stall Lab.create. */
export const MAX_STATE_FILES = 200;

export type StateEntry =
  | { readonly file: string; readonly tag: LabTag; readonly record: LabRecord }
  | { readonly file: string; readonly tag: LabTag; readonly error: string };

export class LabStateStore {
  constructor(readonly dir: string = DEFAULT_STATE_DIR) {}

  /**
   * Creates the state file of a new lab, atomically and exclusively: the content is written to a temporary file
   * which is then hard-linked to the final name (link fails if that name exists). False if the tag is taken, or
   * a sweep of an earlier lab with the same tag is still running.
   */
  reserve(record: LabRecord): boolean {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (error: unknown) {
      if (errorCode(error) !== 'EEXIST') throw error; // a file in its place: checkDirectory says so
    }
    this.checkDirectory();
    const target = this.path(stateFileName(record.tag));
    const temp = this.writeTemp(record);
    try {
      linkSync(temp, target);
    } catch (error: unknown) {
      if (errorCode(error) === 'EEXIST') return false;
      throw error;
    } finally {
      rmSync(temp, { force: true });
    }
    const sweeping = readdirSync(this.dir).some((f) => f.startsWith(`${record.tag}.sweep-`));
    if (sweeping) rmSync(target, { force: true });
    return !sweeping;
  }

  /** Replaces the state file (temporary file + rename, so a reader never sees half of it). */
  write(record: LabRecord): void {
    renameSync(this.writeTemp(record), this.path(stateFileName(record.tag)));
  }

  remove(tag: LabTag): void {
    rmSync(this.path(stateFileName(tag)), { force: true });
  }

  /** The state files; throws a LabError when the directory is not private to this user (see checkDirectory). */
  list(): StateEntry[] {
    try {
      this.checkDirectory();
    } catch (error: unknown) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    const files = readdirSync(this.dir).sort();
    const entries: StateEntry[] = [];
    for (const file of files) {
      const tag = tagOfStateFile(file);
      if (tag === undefined) continue;
      if (entries.length >= MAX_STATE_FILES) break;
      try {
        entries.push({ file, tag, record: parseRecord(readFileSync(this.path(file), 'utf8')) });
      } catch (error: unknown) {
        entries.push({ file, tag, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return entries;
  }

  /**
   * Takes over an abandoned lab's state file for `sweeper`: renames it (exactly one of several sweepers wins the
   * rename) and records the sweeper as owner, so a sweeper that dies midway is itself swept later. Undefined if
   * another sweeper got there first.
   */
  claim(
    file: string,
    record: LabRecord,
    sweeper: ProcessIdentity,
  ): { file: string; record: LabRecord } | undefined {
    const claimed = sweepFileName(record.tag, sweeper.pid);
    try {
      renameSync(this.path(file), this.path(claimed));
    } catch (error: unknown) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    const mine = { ...record, owner: sweeper };
    const temp = this.writeTemp(mine);
    renameSync(temp, this.path(claimed));
    return { file: claimed, record: mine };
  }

  /** Removes a claimed file and any temporary file an owner died while writing. */
  release(file: string, tag: LabTag): void {
    rmSync(this.path(file), { force: true });
    for (const f of readdirSync(this.dir)) {
      if (f.startsWith(`${tag}.`) && f.endsWith('.tmp')) rmSync(this.path(f), { force: true });
    }
  }

  /**
   * The sweep signals every (PID, start time) named in a file here, so whoever can write here can have root kill
   * any process: the directory must be a real directory (not a symlink to somewhere else), owned by this user,
   * with no access for group or others. mkdir leaves an existing directory as it finds it, hence this check.
   * It covers the last component only; the default /run/fleetboot-lab sits in root's /run.
   */
  private checkDirectory(): void {
    const stat = lstatSync(this.dir);
    const uid = process.geteuid?.();
    let problem: string | undefined;
    if (stat.isSymbolicLink()) problem = 'is a symbolic link';
    else if (!stat.isDirectory()) problem = 'is not a directory';
    else if (uid !== undefined && stat.uid !== uid)
      problem = `is owned by uid ${stat.uid}, not by uid ${uid}`;
    else if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      problem = `has mode ${mode}: its group and others must have no access`;
    }
    if (problem !== undefined) {
      throw new LabError(
        `lab state directory ${this.dir} ${problem}; the lab refuses it because its sweep signals the ` +
          'processes named in the files there; remove it, or fix its owner and mode (chmod 700)',
      );
    }
  }

  private writeTemp(record: LabRecord): string {
    const temp = this.path(`${record.tag}.json.${process.pid}.tmp`);
    writeFileSync(temp, serializeRecord(record), { mode: 0o600 });
    return temp;
  }

  private path(file: string): string {
    return path.join(this.dir, file);
  }
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}
