import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../../src/protocol/bytes/writer.js';
import { EncodeError } from '../../../src/protocol/errors.js';

describe('ByteWriter', () => {
  it('writes big-endian integers, bytes and zeros, growing as needed', () => {
    const w = new ByteWriter(1);
    w.u8(1).u16(0x0203).u32(0xfffefdfc).bytes(Uint8Array.of(7, 8)).zeros(2);
    expect(Array.from(w.toBytes())).toEqual([1, 2, 3, 0xff, 0xfe, 0xfd, 0xfc, 7, 8, 0, 0]);
    w.zeros(100);
    expect(w.length).toBe(111);
  });

  it('toBytes returns what was written, unchanged by later writes, whether or not the buffer is full', () => {
    for (const capacity of [16, 32]) {
      const w = new ByteWriter(capacity).zeros(15).u8(9);
      const first = w.toBytes();
      w.u8(1).zeros(40);
      expect(first.length).toBe(16);
      expect(Array.from(first)).toEqual([...Array<number>(15).fill(0), 9]);
      expect(w.toBytes().length).toBe(57);
    }
  });

  it('pads a fixed field and refuses data longer than the field', () => {
    expect(Array.from(new ByteWriter().field(Uint8Array.of(1), 3, 'x').toBytes())).toEqual([1, 0, 0]);
    expect(() => new ByteWriter().field(Uint8Array.of(1, 2), 1, 'x')).toThrow(
      expect.objectContaining({ reason: 'field-too-long' }),
    );
  });

  it.each([
    ['u8', 256],
    ['u8', -1],
    ['u16', 65536],
    ['u32', 2 ** 32],
    ['u32', 1.5],
  ] as const)('%s(%d) throws EncodeError("range")', (method, value) => {
    expect(() => new ByteWriter()[method](value)).toThrow(EncodeError);
  });
});
