// Cleanup when the process ends before a lab was destroyed: a test that threw past its afterAll, Ctrl-C, a test
// runner stopping its worker with SIGTERM. Only synchronous work runs in an 'exit' handler, which is why these
// handlers, and only these, use the blocking teardown. SIGKILL cannot be caught; that case is left to the sweep of
// the next Lab.create.

export interface ExitCleanup {
  teardownSync(): void;
}

const live = new Set<ExitCleanup>();
let installed = false;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function cleanUpOnExit(cleanup: ExitCleanup): void {
  live.add(cleanup);
  install();
}

export function forgetOnExit(cleanup: ExitCleanup): void {
  live.delete(cleanup);
}

function runAll(): void {
  for (const cleanup of [...live]) {
    live.delete(cleanup);
    try {
      cleanup.teardownSync();
    } catch {
      // Nothing can be reported from here; the state file stays and the next sweep finishes the job.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const signal of SIGNALS) {
    const handler = (): void => {
      runAll();
      // Listening replaced Node's default action (terminate) for this signal. When nobody else listens, restore
      // that: remove this handler and raise the signal again, so the process ends as it would have.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, handler);
  }
}
