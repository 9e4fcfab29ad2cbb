import type { Clock } from '../net/clock.js';
import type { Service } from '../net/supervisor.js';
import type { Logger } from '../observability/logger.js';

/**
 * Turns expired install marks into `failed` (reason timeout) on the clock (catalogue S07: a mark is one-shot and
 * expiring). decideBoot already refuses an expired mark at boot time; the sweep makes the state say so, with its
 * event and audit entry, even for a machine that never boots again. A failed sweep (store down) is logged and
 * tried again at the next tick; it never stops the service.
 */
export function markSweeper(deps: {
  expireMarks: () => Promise<readonly unknown[]>;
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
}): Service {
  const intervalMs = deps.intervalMs ?? 30_000;
  let cancel: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = (): void => {
    running = deps
      .expireMarks()
      .then(
        (expired) => {
          if (expired.length > 0) deps.logger.info({ expired: expired.length }, 'install marks expired');
        },
        (error: unknown) => {
          deps.logger.warn({ err: error }, 'install mark sweep failed; trying again at the next tick');
        },
      )
      .finally(() => {
        if (!stopped) cancel = deps.clock.setTimer(tick, intervalMs);
      });
  };
  return {
    name: 'mark-sweeper',
    start() {
      stopped = false;
      tick();
      return Promise.resolve();
    },
    async stop() {
      stopped = true;
      cancel?.();
      await running;
    },
  };
}
