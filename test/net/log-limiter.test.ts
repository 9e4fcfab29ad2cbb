import { describe, expect, it } from 'vitest';
import { escapeControl, LogRateLimiter } from '../../src/net/log-limiter.js';
import { FakeClock } from '../support/fake-clock.js';

describe('LogRateLimiter', () => {
  it('allows a burst, then one line per 1/perSecond, and reports what it suppressed in between', async () => {
    const clock = new FakeClock();
    const limiter = new LogRateLimiter(clock, { perSecond: 2, burst: 3 });
    expect([limiter.take(), limiter.take(), limiter.take()]).toEqual([0, 0, 0]);
    expect(limiter.take()).toBeUndefined();
    expect(limiter.take()).toBeUndefined();
    await clock.advance(499);
    expect(limiter.take()).toBeUndefined();
    await clock.advance(1);
    expect(limiter.take()).toBe(3);
    expect(limiter.take()).toBeUndefined();
  });

  it('never banks more than the burst, however long it was quiet', async () => {
    const clock = new FakeClock();
    const limiter = new LogRateLimiter(clock, { perSecond: 10, burst: 5 });
    await clock.advance(3_600_000);
    const allowed = Array.from({ length: 100 }, () => limiter.take()).filter((n) => n !== undefined);
    expect(allowed).toHaveLength(5);
  });

  it('bounds 10⁵ attempts over 10 s to burst + rate × 10 lines', async () => {
    const clock = new FakeClock();
    const limiter = new LogRateLimiter(clock, { perSecond: 10, burst: 50 });
    let allowed = 0;
    for (let i = 0; i < 100_000; i += 1) {
      if (limiter.take() !== undefined) allowed += 1;
      if (i % 10_000 === 9_999) await clock.advance(1000);
    }
    expect(allowed).toBeLessThanOrEqual(50 + 10 * 10);
    expect(allowed).toBeGreaterThanOrEqual(50 + 10 * 9);
  });
});

describe('escapeControl', () => {
  it.each([
    ['plain', 'plain'],
    ['line\nbreak', 'line\\x0abreak'],
    ['\r\t\u0000', '\\x0d\\x09\\x00'],
    ['\u001b[31mred', '\\x1b[31mred'],
    ['del\u007f c1\u0085', 'del\\x7f c1\\x85'],
    ['sep\u2028\u2029', 'sep\\u2028\\u2029'],
    ['back\\slash', 'back\\\\slash'],
    ['é ü 日本', 'é ü 日本'],
  ])('%j → %j', (input, expected) => {
    expect(escapeControl(input)).toBe(expected);
  });

  it('cuts long text', () => {
    expect(escapeControl('x'.repeat(1000), 10)).toBe(`${'x'.repeat(10)}…`);
  });
});
