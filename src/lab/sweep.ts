// On Lab.create: remove labs whose owner died without cleaning up (SIGKILL, OOM, a killed test worker). Only labs
// recorded in our own state files are touched, never anything found by name alone: other tools use namespaces
// with the same project prefix.
import { identify, isRunning } from './proc.js';
import type { LabStateStore } from './state-store.js';
import { teardownAsync } from './teardown.js';

export interface SweptLab {
  readonly tag: string;
  readonly name: string;
  readonly ownerPid: number;
  readonly deletedNamespaces: readonly string[];
  readonly stoppedProcesses: readonly number[];
}

export interface SweepReport {
  readonly swept: SweptLab[];
  /** State files that could not be read, and teardown steps that failed; the files are kept for a human. */
  readonly errors: string[];
}

export async function sweepAbandonedLabs(store: LabStateStore, graceMs: number): Promise<SweepReport> {
  const report: SweepReport = { swept: [], errors: [] };
  const self = identify(process.pid);
  if (self === undefined) throw new Error('cannot read /proc/self/stat');
  for (const entry of store.list()) {
    if ('error' in entry) {
      report.errors.push(`${store.dir}/${entry.file}: ${entry.error}`);
      continue;
    }
    if (isRunning(entry.record.owner)) continue;
    const claimed = store.claim(entry.file, entry.record, self);
    if (claimed === undefined) continue; // another process is sweeping it
    const result = await teardownAsync(claimed.record, graceMs);
    if (result.errors.length > 0) {
      // Keep the (now ours) claim file: once this process is gone the next sweep tries again.
      report.errors.push(...result.errors.map((e) => `${entry.record.tag}: ${e}`));
      continue;
    }
    store.release(claimed.file, entry.record.tag);
    report.swept.push({
      tag: entry.record.tag,
      name: entry.record.name,
      ownerPid: entry.record.owner.pid,
      deletedNamespaces: result.deletedNamespaces,
      stoppedProcesses: [...result.terminated, ...result.killed],
    });
  }
  return report;
}
