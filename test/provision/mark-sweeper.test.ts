import { describe, expect, it, vi } from 'vitest';
import { markSweeper } from '../../src/provision/mark-sweeper.js';
import { FakeClock } from '../support/fake-clock.js';
import { memoryLogger } from '../support/logger.js';

describe('markSweeper', () => {
  it('sweeps at start and every interval on the clock; a failure is logged and the next tick still runs', async () => {
    const clock = new FakeClock();
    const { logger, lines } = memoryLogger('info');
    let calls = 0;
    const sweeper = markSweeper({
      expireMarks: () => {
        calls += 1;
        return calls === 2
          ? Promise.reject(new Error('store down'))
          : Promise.resolve(calls === 3 ? [{}] : []);
      },
      clock,
      logger,
      intervalMs: 1000,
    });
    await sweeper.start(() => undefined);
    await vi.waitFor(() => {
      expect(calls).toBe(1);
    });
    await clock.advance(1000);
    await vi.waitFor(() => {
      expect(lines().some((l) => String(l.msg).includes('sweep failed'))).toBe(true);
    });
    await clock.advance(1000);
    await vi.waitFor(() => {
      expect(lines().some((l) => l.msg === 'install marks expired')).toBe(true);
    });
    await sweeper.stop();
    await clock.advance(5000);
    expect(calls).toBe(3);
  });
});
