import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/protocol/errors.js';
import { decodeTftpPacket, encodeTftpPacket, packetKindOf } from '../../../src/protocol/tftp/packet.js';
import { packetArb, request } from './support.js';

/** Valid datagrams to mutate (catalogue §6.7 seeds): every option real clients send, and one of each kind. */
const SEEDS: readonly Uint8Array[] = [
  request(1, 'pxelinux.cfg/01-52-54-00-12-34-56', 'octet', 'tsize', '0', 'blksize', '1408'),
  request(1, 'bootx64.efi', 'octet', 'tsize', '0', 'blksize', '1468', 'windowsize', '4'),
  request(1, 'grub/grub.cfg', 'netascii', 'timeout', '5', 'blksize', '1024'),
  request(2, 'upload', 'octet', 'tsize', '1000'),
  Uint8Array.of(0, 3, 0, 1, 1, 2, 3, 4),
  Uint8Array.of(0, 4, 0xff, 0xff),
  Uint8Array.of(0, 5, 0, 8, 0x61, 0x62, 0),
  request(6, 'blksize', '1468', 'tsize', '1048576'),
  new Uint8Array(0),
  Uint8Array.of(0),
];

type Mutation =
  | { op: 'flip'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'extend'; tail: Uint8Array }
  | { op: 'delete'; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('extend' as const), tail: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
);

function mutate(seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = seed.slice();
  for (const m of mutations) {
    switch (m.op) {
      case 'flip':
        if (out.length > 0) out[m.at % out.length] = m.value;
        break;
      case 'truncate':
        out = out.slice(0, m.at % (out.length + 1));
        break;
      case 'extend': {
        const longer = new Uint8Array(out.length + m.tail.length);
        longer.set(out);
        longer.set(m.tail, out.length);
        out = longer;
        break;
      }
      case 'delete':
        if (out.length > 0) {
          const at = m.at % out.length;
          out = Uint8Array.of(...out.subarray(0, at), ...out.subarray(at + 1));
        }
        break;
    }
  }
  return out;
}

/** Decodes, and fails the property if anything but DecodeError is thrown. */
function decodeOrDecodeError(datagram: Uint8Array): void {
  try {
    const packet = decodeTftpPacket(datagram);
    // What decodes has the kind its opcode claims.
    expect(packetKindOf(datagram)).toBe(packet.kind);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
  }
}

describe('TFTP codec properties (catalogue §6.7)', () => {
  it('decode(encode(p)) equals p for every packet kind', () => {
    fc.assert(
      fc.property(packetArb, (packet) => {
        expect(decodeTftpPacket(encodeTftpPacket(packet))).toEqual(packet);
      }),
      { numRuns: 2000 },
    );
  });

  it('encode(decode(b)) is b again for every datagram the encoder wrote', () => {
    fc.assert(
      fc.property(packetArb, (packet) => {
        const wire = encodeTftpPacket(packet);
        expect(encodeTftpPacket(decodeTftpPacket(wire))).toEqual(wire);
      }),
    );
  });

  it('the decoder throws only DecodeError over random datagrams up to 1500 bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1500 }), decodeOrDecodeError), { numRuns: 5000 });
  });

  it('the decoder throws only DecodeError over random datagrams with a valid opcode', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.uint8Array({ maxLength: 600 }), (opcode, rest) => {
        decodeOrDecodeError(Uint8Array.of(0, opcode, ...rest));
      }),
      { numRuns: 5000 },
    );
  });

  it('the decoder throws only DecodeError over mutations of valid datagrams (flip, truncate, extend, delete)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS),
        fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
        (seed, ms) => {
          decodeOrDecodeError(mutate(seed, ms));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('the decoder throws only DecodeError over mutations of encoded random packets', () => {
    fc.assert(
      fc.property(packetArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (packet, ms) => {
        decodeOrDecodeError(mutate(encodeTftpPacket(packet), ms));
      }),
      { numRuns: 3000 },
    );
  });
});
