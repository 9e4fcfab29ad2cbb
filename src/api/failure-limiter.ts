// Rate limit of authentication failures per source address (issue 6, item 2): after `maxFailures` failures within
// `windowMs`, the address gets 429 with Retry-After until the window ends, without its credentials being looked
// at, so a token cannot be guessed at line rate and the audit log holds a bounded number of failures per address.

export interface FailureLimiterOptions {
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Addresses tracked at once; beyond it the oldest window is forgotten (memory stays bounded under a flood). */
  readonly maxAddresses: number;
  readonly now: () => number;
}

export const DEFAULT_FAILURE_LIMITS = { maxFailures: 10, windowMs: 60_000, maxAddresses: 10_000 } as const;

interface Window {
  readonly start: number;
  failures: number;
}

export class FailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly options: FailureLimiterOptions) {}

  /** Seconds until `address` may try again, or 0 when it may now. */
  retryAfterSeconds(address: string): number {
    const window = this.current(address);
    if (window === undefined || window.failures < this.options.maxFailures) return 0;
    return Math.max(1, Math.ceil((window.start + this.options.windowMs - this.options.now()) / 1000));
  }

  recordFailure(address: string): void {
    const window = this.current(address);
    if (window !== undefined) {
      window.failures += 1;
      return;
    }
    if (this.windows.size >= this.options.maxAddresses) this.evictOldest();
    this.windows.set(address, { start: this.options.now(), failures: 1 });
  }

  private current(address: string): Window | undefined {
    const window = this.windows.get(address);
    if (window === undefined) return undefined;
    if (this.options.now() - window.start < this.options.windowMs) return window;
    this.windows.delete(address);
    return undefined;
  }

  /** Map order is insertion order: the first entry has the oldest window. */
  private evictOldest(): void {
    const oldest = this.windows.keys().next();
    if (oldest.done !== true) this.windows.delete(oldest.value);
  }
}
