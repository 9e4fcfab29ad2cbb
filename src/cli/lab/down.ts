// `fleetboot lab down`: ends what `lab up` started. The owner process is asked to stop (SIGTERM, only while its
// PID still has the recorded start time); it removes its namespaces, processes and directory. If it died without
// doing so, its lab is swept from the lab's own state file (src/lab/sweep.ts) and the directory removed here.
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning } from '../../lab/proc.js';
import { LabStateStore } from '../../lab/state-store.js';
import { sweepAbandonedLabs } from '../../lab/sweep.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';
import { readUpRecord } from './up-record.js';
import { removeLabFiles, removeOwnerLog } from './up.js';

/** The owner's teardown: fleetboot's drain, QEMU's exit, the namespaces' deletion; bounded. */
const OWNER_STOP_MS = 60_000;
const SWEEP_GRACE_MS = 2_000;

export async function labDown(options: { readonly stateDir: string }, io: CliIo): Promise<void> {
  const record = readUpRecord(options.stateDir);
  if (record === undefined) {
    io.stdout('no lab is up\n');
    return;
  }
  if (isRunning(record.owner)) {
    process.kill(record.owner.pid, 'SIGTERM');
    const deadline = Date.now() + OWNER_STOP_MS;
    while (isRunning(record.owner)) {
      if (Date.now() > deadline) {
        throw new CommandError(
          `lab ${record.tag}: its process ${record.owner.pid} did not stop in ${OWNER_STOP_MS / 1000} s`,
          ExitCode.failure,
        );
      }
      await sleep(200);
    }
  }
  // Whatever the owner could not remove (or everything, if it was killed): its lab's state file names it.
  const sweep = await sweepAbandonedLabs(new LabStateStore(options.stateDir), SWEEP_GRACE_MS);
  if (sweep.errors.length > 0) {
    throw new CommandError(
      `lab ${record.tag} was not fully removed: ${sweep.errors.join('; ')}`,
      ExitCode.failure,
    );
  }
  removeLabFiles({ dir: record.dir, stateDir: options.stateDir });
  removeOwnerLog(options.stateDir);
  io.stdout(`lab ${record.tag} removed (namespaces, VMs, fleetboot, ${record.dir})\n`);
}
