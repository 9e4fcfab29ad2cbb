import type { DeclaredMachine } from '../config/types.js';
import type { Clock } from '../net/clock.js';
import type { Service } from '../net/supervisor.js';
import type { Logger } from '../observability/logger.js';
import type { Lifecycle } from './lifecycle.js';

/**
 * How often expired marks are turned into `failed`. The sweep is for the inventory's sake (an operator sees the
 * timeout): a boot never depends on it, because byToken and the boot decision check `expiresAt` themselves.
 */
export const EXPIRY_SWEEP_MS = 60_000;

/**
 * The lifecycle's background work in `serve`, as a supervised Service: at start, the machines declared in
 * fleetboot.yaml are enrolled (syncDeclaredMachines); then expired marks are swept every `intervalMs`. A sweep
 * that fails (the store is down) is logged and retried at the next interval; sweeps never overlap.
 */
export function lifecycleService(options: {
  readonly lifecycle: Lifecycle;
  readonly declared: readonly DeclaredMachine[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs?: number;
}): Service {
  const { lifecycle, clock, logger } = options;
  const intervalMs = options.intervalMs ?? EXPIRY_SWEEP_MS;
  let cancelTimer: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const sweep = async (): Promise<void> => {
    try {
      const expired = await lifecycle.expireMarks();
      if (expired.length > 0) {
        logger.info(
          { machines: expired.map((m) => m.id) },
          'install marks expired: machines failed (timeout)',
        );
      }
    } catch (error) {
      logger.warn({ err: error }, 'expiring install marks failed; retrying at the next sweep');
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    cancelTimer = clock.setTimer(() => {
      running = sweep().finally(() => {
        running = undefined;
        schedule();
      });
    }, intervalMs);
  };

  return {
    name: 'lifecycle',
    async start() {
      stopped = false;
      if (options.declared.length > 0) {
        const report = await lifecycle.syncDeclaredMachines(options.declared);
        for (const problem of report.problems) logger.warn({ problem }, 'declared machine not enrolled');
        logger.info(
          { created: report.created, updated: report.updated, unchanged: report.unchanged },
          'declared machines enrolled',
        );
      }
      await sweep();
      schedule();
    },
    async stop() {
      stopped = true;
      cancelTimer?.();
      await running;
    },
  };
}
