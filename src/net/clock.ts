/**
 * Time as a parameter (design.md §1.7): retransmission, backoff and lease expiry take a Clock so tests run them
 * with a fake one in milliseconds of real time.
 */
export interface Clock {
  /** Wall-clock time in ms since the epoch: for lease expiry and event timestamps. */
  now(): number;
  /** Monotonic ms: for durations and timers, immune to wall-clock jumps (catalogue F14). */
  monotonic(): number;
  /**
   * Runs `fn` after `ms`; the returned function cancels it. A pending timer keeps the process alive, as the
   * awaited startup backoff must; owners cancel their timers when they stop.
   */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer(fn, ms) {
    const handle = setTimeout(fn, ms);
    return () => {
      clearTimeout(handle);
    };
  },
};
