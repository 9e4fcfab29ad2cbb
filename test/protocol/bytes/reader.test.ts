import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../../src/protocol/bytes/reader.js';
import { DecodeError } from '../../../src/protocol/errors.js';

describe('ByteReader', () => {
  it('reads big-endian integers and advances', () => {
    const r = new ByteReader(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 0xff, 0xff, 0xff, 0xff));
    expect(r.u8()).toBe(1);
    expect(r.u16()).toBe(0x0203);
    expect(r.u32()).toBe(0x04050607);
    expect(r.offset).toBe(7);
    expect(r.u32()).toBe(0xffffffff);
    expect(r.atEnd()).toBe(true);
  });

  it('throws DecodeError with the offset of the failed read and the given reason', () => {
    const r = new ByteReader(Uint8Array.of(1, 2, 3));
    r.u8();
    expect(() => r.u32('truncated-option')).toThrow(
      expect.objectContaining({ name: 'DecodeError', offset: 1, reason: 'truncated-option' }),
    );
    // A failed read does not move the cursor.
    expect(r.offset).toBe(1);
    expect(r.u16()).toBe(0x0203);
    expect(() => r.u8()).toThrow(expect.objectContaining({ offset: 3, reason: 'short' }));
  });

  it('keeps to its window and reports absolute offsets', () => {
    const bytes = Uint8Array.of(9, 9, 1, 2, 9);
    const r = new ByteReader(bytes, 2, 4);
    expect(r.remaining).toBe(2);
    expect(Array.from(r.take(2))).toEqual([1, 2]);
    expect(() => r.peekU8()).toThrow(expect.objectContaining({ offset: 4 }));
  });

  it('clamps a window outside the array instead of reading beyond it', () => {
    const r = new ByteReader(Uint8Array.of(1), 5, 100);
    expect(r.remaining).toBe(0);
    expect(() => r.u8()).toThrow(DecodeError);
  });

  it('take() copies, so the value does not change when the receive buffer is reused', () => {
    const bytes = Uint8Array.of(1, 2, 3);
    const taken = new ByteReader(bytes).take(3);
    bytes[0] = 99;
    expect(taken[0]).toBe(1);
  });

  it('refuses negative and fractional lengths with DecodeError, not RangeError', () => {
    const r = new ByteReader(Uint8Array.of(1, 2, 3));
    expect(() => r.take(-1)).toThrow(DecodeError);
    expect(() => {
      r.skip(1.5);
    }).toThrow(DecodeError);
  });

  it('never throws anything but DecodeError, whatever the reads', () => {
    const op = fc.oneof(
      fc.constant('u8' as const),
      fc.constant('u16' as const),
      fc.constant('u32' as const),
      fc.constant('peek' as const),
      fc.integer({ min: -3, max: 40 }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), fc.array(op, { maxLength: 20 }), (bytes, ops) => {
        const r = new ByteReader(bytes);
        for (const o of ops) {
          try {
            if (o === 'u8') r.u8();
            else if (o === 'u16') r.u16();
            else if (o === 'u32') r.u32();
            else if (o === 'peek') r.peekU8();
            else r.take(o);
          } catch (error) {
            if (!(error instanceof DecodeError)) throw error;
          }
          expect(r.offset).toBeLessThanOrEqual(bytes.length);
        }
      }),
    );
  });
});
