import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ackedIndex,
  blockCount,
  blockIndexForOffset,
  blockLength,
  blockNumber,
  blockOffset,
  isFinalBlock,
} from '../../../src/protocol/tftp/blocks.js';

describe('blockCount (RFC 1350 §6: the first block shorter than blksize ends the transfer)', () => {
  it.each([
    [0, 512, 1],
    [1, 512, 1],
    [511, 512, 1],
    [512, 512, 2],
    [513, 512, 2],
    [1024, 512, 3],
    [1468, 1468, 2],
    [1469, 1468, 2],
    [65534 * 512, 512, 65535],
    [65534 * 512 + 511, 512, 65535],
    [65535 * 512 - 1, 512, 65535],
    [65535 * 512, 512, 65536],
    [32 * 1024 * 1024, 512, 65537],
    [40_800_000, 1468, 27793],
  ])('a file of %i octets at blksize %i takes %i blocks', (size, blockSize, count) => {
    expect(blockCount(size, blockSize)).toBe(count);
  });
});

describe('blockLength, blockOffset, blockIndexForOffset, isFinalBlock', () => {
  it.each([
    // size, blockSize, index, offset, length, final
    [1024, 512, 1, 0, 512, false],
    [1024, 512, 2, 512, 512, false],
    [1024, 512, 3, 1024, 0, true],
    [1025, 512, 3, 1024, 1, true],
    [0, 512, 1, 0, 0, true],
    [100, 512, 1, 0, 100, true],
    [100, 512, 2, 512, 0, true],
  ])(
    'size %i, blksize %i, block %i: offset %i, length %i, final %s',
    (size, blockSize, index, offset, length, final) => {
      expect(blockOffset(index, blockSize)).toBe(offset);
      expect(blockLength(index, size, blockSize)).toBe(length);
      expect(isFinalBlock(blockLength(index, size, blockSize), blockSize)).toBe(final);
    },
  );

  it.each([
    [0, 512, 1],
    [511, 512, 1],
    [512, 512, 2],
    [65535 * 512, 512, 65536],
  ])('the octet at offset %i with blksize %i is in block %i', (offset, blockSize, index) => {
    expect(blockIndexForOffset(offset, blockSize)).toBe(index);
  });

  it('refuses indexes below 1, negative sizes and non-integer block sizes', () => {
    expect(() => blockOffset(0, 512)).toThrow(RangeError);
    expect(() => blockCount(-1, 512)).toThrow(RangeError);
    expect(() => blockCount(10, 0)).toThrow(RangeError);
    expect(() => blockLength(1, 10, 1.5)).toThrow(RangeError);
  });
});

describe('blockNumber: rollover 65535 → 0 (protocol-digest §4.3; catalogue T20)', () => {
  it.each([
    [0, 0],
    [1, 1],
    [65535, 65535],
    [65536, 0],
    [65537, 1],
    [131071, 65535],
    [131072, 0],
  ])('block index %i goes on the wire as %i', (index, number) => {
    expect(blockNumber(index)).toBe(number);
  });

  it('a 32 MiB file at blksize 512 sends DATA 65535, 0, 1 at its end', () => {
    const count = blockCount(32 * 1024 * 1024, 512);
    expect([count - 2, count - 1, count].map(blockNumber)).toEqual([65535, 0, 1]);
  });
});

describe('ackedIndex: the block index an ACK number stands for', () => {
  it.each([
    // number, latest sent, index
    [0, 0, 0],
    [1, 1, 1],
    [1, 4, 1],
    [4, 4, 4],
    [65535, 65536, 65535],
    [0, 65536, 65536],
    [0, 65540, 65536],
    [65534, 65540, 65534],
    [5, 4, undefined],
    [9, 4, undefined],
    [3, 70000, 65539],
    [10, 70000, 65546],
  ])('ACK %i with block %i last sent → %s', (number, latest, index) => {
    expect(ackedIndex(number, latest)).toBe(index);
  });

  it('an ACK for a block not yet sent (catalogue T16) maps a whole wrap behind, which is stale', () => {
    expect(ackedIndex(blockNumber(70005), 70000)).toBe(70005 - 65536);
  });

  it('refuses a number that is not a u16', () => {
    expect(() => ackedIndex(65536, 1)).toThrow(RangeError);
    expect(() => ackedIndex(-1, 1)).toThrow(RangeError);
  });

  it('property: for any window of up to 65535 blocks, every sent block’s number maps back to its index', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 65535 }),
        (latest, back) => {
          const index = latest - back;
          fc.pre(index >= 0);
          expect(ackedIndex(blockNumber(index), latest)).toBe(index);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('property: the blocks of a file cover it exactly once, and only the last is final', () => {
    const fileArb = fc
      .integer({ min: 1, max: 70_000 })
      .chain((blockSize) => fc.tuple(fc.nat({ max: blockSize * 200 }), fc.constant(blockSize)));
    fc.assert(
      fc.property(fileArb, ([size, blockSize]) => {
        const count = blockCount(size, blockSize);
        let next = 0;
        for (let index = 1; index <= count; index++) {
          expect(blockOffset(index, blockSize)).toBe(next);
          const length = blockLength(index, size, blockSize);
          expect(isFinalBlock(length, blockSize)).toBe(index === count);
          next += length;
        }
        expect(next).toBe(size);
        // The last octet is in the last block that has data.
        if (size > 0) expect(blockIndexForOffset(size - 1, blockSize)).toBe(Math.ceil(size / blockSize));
      }),
      { numRuns: 500 },
    );
  });
});
