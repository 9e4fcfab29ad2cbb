import type { Clock } from '../net/clock.js';
import type { Logger } from '../observability/logger.js';

const DEFAULT_INTERVAL_MS = 60_000;
const MAX_KEYS = 10_000;

/**
 * Warnings that a flood could repeat (pool exhaustion, a client over its decline limit, a foreign server, a failing
 * store): at most one line per key per interval, so 10⁵ packets cannot produce 10⁵ log lines (catalogue I5).
 */
export class WarningLimiter {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly intervalMs = DEFAULT_INTERVAL_MS,
  ) {}

  warn(key: string, fields: object, message: string): void {
    const now = this.clock.monotonic();
    const previous = this.last.get(key);
    if (previous !== undefined && now - previous < this.intervalMs) return;
    if (this.last.size >= MAX_KEYS) this.last.clear();
    this.last.set(key, now);
    this.logger.warn(fields, message);
  }
}
