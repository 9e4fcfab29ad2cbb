import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { timeOrderedIds } from '../../src/values/time-ordered-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** unix_ts_ms of an id: its first 48 bits (RFC 9562 §5.7). */
const timestampOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
/** The 12-bit counter in rand_a. */
const counterOf = (id: string): number => parseInt(id.slice(15, 18), 16);

describe('timeOrderedIds', () => {
  it('makes version 7, variant 10 UUIDs in lower case that carry the clock in milliseconds', () => {
    const next = timeOrderedIds(() => 1_764_288_000_123.9);
    const id = next();
    expect(id).toMatch(V7);
    expect(timestampOf(id)).toBe(1_764_288_000_123);
    expect(counterOf(id)).toBe(0);
  });

  it('keeps the random bits random: the variant and version are set over whatever the random source gave', () => {
    const ones = timeOrderedIds(
      () => 0,
      (bytes) => bytes.fill(0xff),
    )();
    expect(ones).toBe('00000000-0000-7000-bfff-ffffffffffff');
    const zeros = timeOrderedIds(
      () => 2 ** 48 - 1,
      (bytes) => bytes.fill(0),
    )();
    expect(zeros).toBe('ffffffff-ffff-7000-8000-000000000000');
  });

  it('counts on within one millisecond, and when the clock steps back keeps the last timestamp', () => {
    let now = 5000;
    const next = timeOrderedIds(() => now);
    const a = next();
    const b = next();
    now = 4000; // an NTP step back
    const c = next();
    now = 5001;
    const d = next();
    expect([a, b, c].map(timestampOf)).toEqual([5000, 5000, 5000]);
    expect([a, b, c].map(counterOf)).toEqual([0, 1, 2]);
    expect(timestampOf(d)).toBe(5001);
    expect(counterOf(d)).toBe(0);
    expect([a, b, c, d]).toEqual([a, b, c, d].slice().sort());
  });

  it('moves the timestamp one millisecond on when 4096 ids were made in one (RFC 9562 §6.2)', () => {
    const next = timeOrderedIds(() => 7);
    const ids = Array.from({ length: 4097 }, () => next());
    expect(timestampOf(ids[4095] ?? '')).toBe(7);
    expect(counterOf(ids[4095] ?? '')).toBe(0xfff);
    expect(timestampOf(ids[4096] ?? '')).toBe(8);
    expect(counterOf(ids[4096] ?? '')).toBe(0);
  });

  it('is strictly increasing as text (the order the indexes keep) for any clock, and never repeats', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** 48 - 1 }), { minLength: 1, maxLength: 300 }),
        (times) => {
          let i = 0;
          const next = timeOrderedIds(() => times[i++ % times.length] ?? 0);
          const ids = times.map(() => next());
          for (const id of ids) expect(id).toMatch(V7);
          for (let k = 1; k < ids.length; k++) expect((ids[k] ?? '') > (ids[k - 1] ?? '')).toBe(true);
        },
      ),
    );
  });
});
