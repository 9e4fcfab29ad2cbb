import fc from 'fast-check';
import { expect } from 'vitest';
import { DecodeError } from '../../../src/protocol/errors.js';
import type { TftpOption, TftpPacket } from '../../../src/protocol/tftp/packet.js';

/** Bytes from parts: a number is one octet, a string is its characters as octets (latin1), with no terminator. */
export function bytes(...parts: (number | string)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(part);
    else for (const c of part) out.push(c.charCodeAt(0));
  }
  return Uint8Array.from(out);
}

/** A request datagram: opcode, then each field NUL-terminated (filename, mode, option names and values). */
export function request(opcode: number, ...fields: string[]): Uint8Array {
  return bytes(0, opcode, ...fields.flatMap((field) => [field, 0]));
}

/** Runs `decode` and returns the DecodeError it throws; fails the test if it returns or throws anything else. */
export function decodeErrorOf(decode: () => unknown): DecodeError {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error('expected a DecodeError, but decoding succeeded');
}

const octetText = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)),
    minLength,
    maxLength,
  });

export const optionArb: fc.Arbitrary<TftpOption> = fc.record({
  name: fc.oneof(
    fc.constantFrom('blksize', 'BLKSIZE', 'tsize', 'timeout', 'windowsize', 'multicast'),
    octetText(1, 64),
  ),
  value: fc.oneof(fc.nat({ max: 70000 }).map(String), octetText(0, 64)),
});

const optionsArb = (minLength: number): fc.Arbitrary<TftpOption[]> =>
  fc.array(optionArb, { minLength, maxLength: 16 });

/** Every packet the encoder accepts, with the bounds of limits.ts. */
export const packetArb: fc.Arbitrary<TftpPacket> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('rrq' as const, 'wrq' as const),
    filename: octetText(1, 255),
    mode: fc.constantFrom('octet' as const, 'netascii' as const),
    options: optionsArb(0),
  }),
  fc.record({
    kind: fc.constant('data' as const),
    block: fc.integer({ min: 0, max: 0xffff }),
    data: fc.uint8Array({ maxLength: 1500 }),
  }),
  fc.record({ kind: fc.constant('ack' as const), block: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({
    kind: fc.constant('error' as const),
    code: fc.integer({ min: 0, max: 0xffff }),
    message: octetText(0, 255),
  }),
  fc.record({ kind: fc.constant('oack' as const), options: optionsArb(1) }),
);
