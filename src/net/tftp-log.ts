import type { Logger } from '../observability/logger.js';
import type { Clock } from './clock.js';
import { type LogRate, LogRateLimiter } from './log-limiter.js';

const DEFAULT_RATE: LogRate = { perSecond: 20, burst: 50 };

/**
 * Per-packet debug lines of the TFTP server, rate-limited like the DHCP intake's (reliability-catalogue I5: 10⁵
 * garbage datagrams produce a bounded number of lines). A line written after some were held back carries
 * `suppressed`, their count, so nothing vanishes without a trace.
 */
export class TftpPacketLog {
  private readonly limiter: LogRateLimiter;

  constructor(
    private readonly logger: Logger,
    clock: Clock,
    rate: LogRate = DEFAULT_RATE,
  ) {
    this.limiter = new LogRateLimiter(clock, rate);
  }

  debug(fields: Record<string, unknown>, message: string): void {
    if (!this.logger.isLevelEnabled('debug')) return;
    const suppressed = this.limiter.take();
    if (suppressed === undefined) return;
    this.logger.debug(suppressed > 0 ? { ...fields, suppressed } : fields, message);
  }
}
