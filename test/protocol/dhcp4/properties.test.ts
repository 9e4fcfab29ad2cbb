// reliability-catalogue §6.7 and D32: round trip over generated messages, and "never throws anything but
// DecodeError" over random bytes and over mutations of the golden packets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from '../../../src/protocol/errors.js';
import {
  decodeDhcpMessage,
  type DhcpMessage,
  encodeDhcpMessage,
  encodeReply,
  pxeVendorOptionsOf,
  replyTo,
} from '../../../src/protocol/dhcp4/index.js';
import { dhcpMessage } from './arbitraries.js';
import { comparable, GOLDEN_NAMES, golden } from './support.js';

const GOLDENS = GOLDEN_NAMES.map(golden);

/** Decodes; returns the message, or undefined after a DecodeError. Anything else thrown fails the property. */
function tryDecode(bytes: Uint8Array): DhcpMessage | undefined {
  try {
    const m = decodeDhcpMessage(bytes);
    // The second-stage reading of option 43 is held to the same rule.
    pxeVendorOptionsOf(m);
    return m;
  } catch (error) {
    if (error instanceof DecodeError) return undefined;
    throw error;
  }
}

/**
 * Whatever decodes re-encodes, and decodes again to the same message. The one thing that may not re-encode is an
 * sname or file that filled its field without a NUL (we accept it, we never send it).
 */
function checkStable(m: DhcpMessage): void {
  let bytes: Uint8Array;
  try {
    bytes = encodeDhcpMessage(m);
  } catch (error) {
    if (error instanceof EncodeError && (m.serverHostName.length === 64 || m.bootFile.length === 128)) return;
    throw error;
  }
  expect(comparable(decodeDhcpMessage(bytes))).toEqual(comparable(m));
}

/** Positions of the length bytes of the options in a golden packet (a mutation target). */
function lengthBytes(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 240; i + 1 < bytes.length;) {
    const code = bytes[i] ?? 0;
    if (code === 255) break;
    if (code === 0) {
      i += 1;
      continue;
    }
    out.push(i + 1);
    i += 2 + (bytes[i + 1] ?? 0);
  }
  return out;
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; tail: Uint8Array }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'length'; which: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 600 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('length' as const),
    which: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const out = bytes.slice();
  switch (m.kind) {
    case 'flip':
      out[m.at % out.length] = (out[m.at % out.length] ?? 0) ^ (1 << m.bit);
      return out;
    case 'truncate':
      return out.subarray(0, m.at % out.length);
    case 'extend':
      return Uint8Array.from([...out, ...m.tail]);
    case 'set':
      out[m.at % out.length] = m.value;
      return out;
    case 'length': {
      const positions = lengthBytes(out);
      const at = positions[m.which % Math.max(1, positions.length)];
      if (at !== undefined) out[at] = m.value;
      return out;
    }
  }
}

describe('properties', () => {
  it('decode(encode(m)) equals m for every message the encoder accepts', () => {
    fc.assert(
      fc.property(dhcpMessage, (m) => {
        expect(comparable(decodeDhcpMessage(encodeDhcpMessage(m)))).toEqual(comparable(m));
      }),
      { numRuns: 500 },
    );
  });

  it('encoding follows optionOrder, so decode → encode → decode is stable in order too', () => {
    fc.assert(
      fc.property(dhcpMessage, (m) => {
        const once = decodeDhcpMessage(encodeDhcpMessage(m));
        const twice = decodeDhcpMessage(encodeDhcpMessage(once));
        expect(twice.optionOrder).toEqual(once.optionOrder);
        expect(encodeDhcpMessage(twice)).toEqual(encodeDhcpMessage(once));
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes: only DecodeError, never anything else (D32)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => {
        tryDecode(bytes);
      }),
      { numRuns: 5000 },
    );
  });

  it('random options after a valid header and cookie: only DecodeError; what decodes is stable', () => {
    const header = golden('ipxe-bios-discover').subarray(0, 240);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1260 }), (options) => {
        const m = tryDecode(Uint8Array.from([...header, 53, 1, 1, ...options]));
        if (m !== undefined) checkStable(m);
      }),
      { numRuns: 5000 },
    );
  });

  it('mutated golden packets (flip, truncate, extend, set a byte, change a length): only DecodeError', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: GOLDENS.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (index, mutations) => {
          const mutated = mutations.reduce(mutate, GOLDENS[index] ?? new Uint8Array());
          const m = tryDecode(mutated);
          if (m !== undefined) checkStable(m);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('a reply to any decodable request encodes within the client’s limit, or refuses with EncodeError', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: GOLDENS.length - 1 }),
        fc.array(mutation, { maxLength: 2 }),
        (index, mutations) => {
          const request = tryDecode(mutations.reduce(mutate, GOLDENS[index] ?? new Uint8Array()));
          if (request === undefined) return;
          const base = replyTo(request, 'offer');
          const reply: DhcpMessage = { ...base, options: { ...base.options, leaseTime: 600 } };
          try {
            const { bytes } = encodeReply(reply, request);
            expect(bytes.length).toBeGreaterThanOrEqual(300);
            expect(bytes.length).toBeLessThanOrEqual(1472);
          } catch (error) {
            // The only refusal: the client's identifier alone (RFC 6842 echo) is larger than its size limit.
            expect(error).toBeInstanceOf(EncodeError);
            expect(error).toMatchObject({ reason: 'too-big' });
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
