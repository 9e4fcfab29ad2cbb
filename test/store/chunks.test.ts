import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZES, chunked } from '../../src/store/queries/chunks.js';

describe('chunked', () => {
  it.each([
    [0, []],
    [1, [1]],
    [3, [1, 1, 1]],
    [70, [64, 4, 1, 1]],
    [90, [64, 16, 4, 4, 1, 1]],
    [128, [64, 64]],
  ])('splits %i items into runs of %j', (count, sizes) => {
    const items = Array.from({ length: count }, (_, i) => i);
    expect([...chunked(items)].map((chunk) => chunk.length)).toEqual(sizes);
  });

  it('keeps every item once, in order, in runs of the fixed sizes, largest first', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 400 }), (items) => {
        const chunks = [...chunked(items)];
        expect(chunks.flat()).toEqual(items);
        const sizes = chunks.map((chunk) => chunk.length);
        for (const size of sizes) expect(CHUNK_SIZES).toContain(size);
        expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
      }),
    );
  });
});
