import type { Clock } from '../../src/net/clock.js';

/** A Clock whose time moves only when the test says so. Timers fire in due order inside `advance`. */
export class FakeClock implements Clock {
  private wall: number;
  private mono = 0;
  private nextId = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(startWallMs = Date.UTC(2026, 0, 1)) {
    this.wall = startWallMs;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.set(id, { at: this.mono + Math.max(0, ms), fn });
    return () => this.timers.delete(id);
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promise callbacks run between them. */
  async advance(ms: number): Promise<void> {
    const target = this.mono + ms;
    for (;;) {
      await flushMicrotasks();
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= target)
        .sort(([a, x], [b, y]) => x.at - y.at || a - b)[0];
      if (!due) break;
      const [id, timer] = due;
      this.timers.delete(id);
      this.wall += timer.at - this.mono;
      this.mono = timer.at;
      timer.fn();
    }
    this.wall += target - this.mono;
    this.mono = target;
    await flushMicrotasks();
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}
