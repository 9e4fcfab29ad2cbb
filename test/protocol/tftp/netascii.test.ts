import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockCount } from '../../../src/protocol/tftp/blocks.js';
import type { NetasciiCursor } from '../../../src/protocol/tftp/netascii.js';
import {
  NETASCII_START,
  netasciiLength,
  nextNetasciiBlock,
  toNetascii,
} from '../../../src/protocol/tftp/netascii.js';
import { bytes } from './support.js';

const CR = 0x0d;
const LF = 0x0a;

/** The reference: RFC 764 per octet, written the obvious way over the whole buffer. */
function reference(source: Uint8Array): Uint8Array {
  return Uint8Array.from(
    Array.from(source).flatMap((octet) => (octet === LF ? [CR, LF] : octet === CR ? [CR, 0] : [octet])),
  );
}

/** Every block of a netascii transfer, as the engine would send them, up to and including the short last one. */
function allBlocks(source: Uint8Array, blockSize: number): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  let cursor: NetasciiCursor = NETASCII_START;
  for (;;) {
    const { data, next } = nextNetasciiBlock(source, cursor, blockSize);
    blocks.push(data);
    if (data.length < blockSize) return blocks;
    cursor = next;
  }
}

function concat(blocks: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(blocks.flatMap((b) => Array.from(b)));
}

/** Text-like input: mostly letters, with CR, LF and NUL often enough to meet every boundary. */
const sourceArb = fc
  .array(fc.oneof(fc.constantFrom(CR, LF, 0, 0x41), fc.integer({ min: 0, max: 255 })), { maxLength: 300 })
  .map((a) => Uint8Array.from(a));

describe('netascii (RFC 1350 §1 via RFC 764)', () => {
  it.each([
    ['LF → CR LF', bytes('a', LF, 'b'), bytes('a', CR, LF, 'b')],
    ['bare CR → CR NUL', bytes('a', CR, 'b'), bytes('a', CR, 0, 'b')],
    ['a CR LF already in the file becomes CR NUL CR LF', bytes(CR, LF), bytes(CR, 0, CR, LF)],
    ['NUL and high octets pass', bytes(0, 0xff), bytes(0, 0xff)],
    ['empty', bytes(), bytes()],
  ])('%s', (_case, source, expected) => {
    expect(toNetascii(source)).toEqual(expected);
    expect(netasciiLength(source)).toBe(expected.length);
  });

  it('a pair split by a block boundary: the block ends in CR, the next starts with the LF', () => {
    const source = bytes('a', LF, 'b');
    const first = nextNetasciiBlock(source, NETASCII_START, 2);
    expect(first.data).toEqual(bytes('a', CR));
    expect(first.next).toEqual({ offset: 2, pending: LF });
    const second = nextNetasciiBlock(source, first.next, 2);
    expect(second.data).toEqual(bytes(LF, 'b'));
    const last = nextNetasciiBlock(source, second.next, 2);
    expect(last.data).toEqual(bytes());
    expect(last.next).toEqual({ offset: 3, pending: undefined });
  });

  it('a bare CR at the end of a block owes its NUL to the next; a stream that is a multiple ends empty', () => {
    expect(allBlocks(bytes(CR), 1)).toEqual([bytes(CR), bytes(0), bytes()]);
    expect(allBlocks(bytes('ab', CR), 3)).toEqual([bytes('ab', CR), bytes(0)]);
  });

  it('refuses a block size below 1 and a cursor outside the source', () => {
    expect(() => nextNetasciiBlock(bytes('a'), NETASCII_START, 0)).toThrow(RangeError);
    expect(() => nextNetasciiBlock(bytes('a'), { offset: 2, pending: undefined }, 512)).toThrow(RangeError);
    expect(() => nextNetasciiBlock(bytes('a'), { offset: -1, pending: undefined }, 512)).toThrow(RangeError);
  });

  it('property: toNetascii and netasciiLength match the reference', () => {
    fc.assert(
      fc.property(sourceArb, (source) => {
        const expected = reference(source);
        expect(toNetascii(source)).toEqual(expected);
        expect(netasciiLength(source)).toBe(expected.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: blocks of any size concatenate to the reference, full blocks then one short one', () => {
    fc.assert(
      fc.property(sourceArb, fc.integer({ min: 1, max: 40 }), (source, blockSize) => {
        const expected = reference(source);
        const blocks = allBlocks(source, blockSize);
        expect(concat(blocks)).toEqual(expected);
        expect(blocks.slice(0, -1).every((b) => b.length === blockSize)).toBe(true);
        expect(blocks.at(-1)!.length).toBeLessThan(blockSize);
        expect(blocks.length).toBe(blockCount(expected.length, blockSize));
      }),
      { numRuns: 2000 },
    );
  });
});
