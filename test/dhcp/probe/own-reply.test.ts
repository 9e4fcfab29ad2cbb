// The probe's shortcut past the decoder (answers.ts isOwnReplyInPlace, option-area.ts optionInPlace): it may only
// set aside what seenServerOf would ignore anyway.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOwnReplyInPlace, seenServerOf } from '../../../src/dhcp/probe/answers.js';
import { DecodeError } from '../../../src/protocol/errors.js';
import {
  decodeDhcpMessage,
  type DhcpMessage,
  encodeDhcpMessage,
  encodeReply,
  optionInPlace,
  replyTo,
} from '../../../src/protocol/dhcp4/index.js';
import { type Ipv4, parseIpv4 } from '../../../src/values/ipv4.js';
import { dhcpMessage } from '../../protocol/dhcp4/arbitraries.js';
import { GOLDEN_NAMES, golden, rawPacket, repeat } from '../../protocol/dhcp4/support.js';

const OWN = new Set<Ipv4>([parseIpv4('198.18.0.1'), parseIpv4('10.0.0.1')]);
const OFFER_FROM = (server: number[]) => [53, 1, 2, 54, 4, ...server, 255];

describe('optionInPlace', () => {
  it.each([
    ['the one instance', rawPacket({ op: 2, options: OFFER_FROM([198, 18, 0, 1]) }), [198, 18, 0, 1]],
    ['after pads, with no END', rawPacket({ op: 2, options: [0, 0, 54, 4, 10, 0, 0, 1] }), [10, 0, 0, 1]],
    ['an empty instance', rawPacket({ op: 2, options: [54, 0, 255] }), []],
  ])('reads %s', (_, bytes, expected) => {
    expect([...(optionInPlace(bytes, 54) ?? [9])]).toEqual(expected);
  });

  it.each([
    ['absent', rawPacket({ op: 2, options: [53, 1, 2, 255] })],
    [
      'twice (RFC 3396: one value of two parts)',
      rawPacket({ op: 2, options: [54, 2, 198, 18, 54, 2, 0, 1, 255] }),
    ],
    [
      'with option 52 (more may be in file or sname)',
      rawPacket({ op: 2, options: [52, 1, 1, ...OFFER_FROM([10, 0, 0, 1])] }),
    ],
    ['with a truncated option', rawPacket({ op: 2, options: [54, 4, 10, 0, 0, 1, 12, 9, 65] })],
    [
      'without the magic cookie',
      rawPacket({ op: 2, cookie: [1, 2, 3, 4], options: OFFER_FROM([10, 0, 0, 1]) }),
    ],
    ['shorter than the fixed header', rawPacket({ op: 2 }).subarray(0, 239)],
  ])('says nothing when %s', (_, bytes) => {
    expect(optionInPlace(bytes, 54)).toBeUndefined();
  });

  it('never reads past END', () => {
    expect(optionInPlace(rawPacket({ op: 2, options: [255, 54, 4, 10, 0, 0, 1] }), 54)).toBeUndefined();
    expect(
      optionInPlace(rawPacket({ op: 2, options: [53, 1, 2, 255, ...repeat(9, 54)] }), 54),
    ).toBeUndefined();
  });
});

/** seenServerOf's verdict on a datagram, or 'undecodable'. */
function fullVerdict(bytes: Uint8Array, source: string): 'ignored' | 'server' | 'undecodable' {
  let message: DhcpMessage;
  try {
    message = decodeDhcpMessage(bytes);
  } catch (error) {
    if (error instanceof DecodeError) return 'undecodable';
    throw error;
  }
  return seenServerOf(message, source, OWN).kind;
}

describe('isOwnReplyInPlace', () => {
  it('sets aside a reply naming one of our addresses, and nothing else', () => {
    expect(isOwnReplyInPlace(rawPacket({ op: 2, options: OFFER_FROM([198, 18, 0, 1]) }), OWN)).toBe(true);
    expect(isOwnReplyInPlace(rawPacket({ op: 2, options: OFFER_FROM([198, 18, 0, 2]) }), OWN)).toBe(false);
    // A request naming our server (a client's REQUEST) is not a reply: the decoder decides.
    expect(isOwnReplyInPlace(rawPacket({ op: 1, options: OFFER_FROM([198, 18, 0, 1]) }), OWN)).toBe(false);
    // Option 54 of the wrong size is for the decoder to refuse.
    expect(isOwnReplyInPlace(rawPacket({ op: 2, options: [54, 3, 198, 18, 0, 255] }), OWN)).toBe(false);
  });

  it("sets aside our own server's replies as it sends them", () => {
    for (const name of ['ipxe-bios-discover', 'ovmf-x64-discover', 'udhcpc-discover']) {
      const request = decodeDhcpMessage(golden(name));
      const base = replyTo(request, 'offer');
      const { bytes } = encodeReply(
        {
          ...base,
          yourAddress: parseIpv4('198.18.0.50'),
          options: { ...base.options, serverIdentifier: parseIpv4('198.18.0.1'), leaseTime: 600 },
        },
        request,
      );
      expect(isOwnReplyInPlace(bytes, OWN)).toBe(true);
      expect(isOwnReplyInPlace(bytes, new Set([parseIpv4('198.18.0.2')]))).toBe(false);
    }
  });

  it('sets aside only what the full reading ignores (or cannot decode), for any message and server', () => {
    const server = fc.constantFrom('198.18.0.1', '10.0.0.1', '198.18.0.2', '192.0.2.9').map(parseIpv4);
    fc.assert(
      fc.property(dhcpMessage, server, fc.boolean(), (message, id, reply) => {
        let bytes: Uint8Array;
        try {
          bytes = encodeDhcpMessage({
            ...message,
            op: reply ? 'reply' : 'request',
            options: { ...message.options, serverIdentifier: id },
          });
        } catch {
          return; // a generated message the encoder refuses (too big): nothing on the wire
        }
        if (isOwnReplyInPlace(bytes, OWN)) {
          expect(fullVerdict(bytes, '192.0.2.200')).not.toBe('server');
          expect(OWN.has(id)).toBe(true);
        }
      }),
    );
  });

  it('sets aside only what the full reading ignores, over mutated golden packets', () => {
    const goldens = GOLDEN_NAMES.map(golden);
    fc.assert(
      fc.property(
        fc.constantFrom(...goldens),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }),
        (base, flips) => {
          const bytes = Uint8Array.from(base);
          bytes[0] = 2;
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          // From a foreign source: had the decoder found no option 54, the source would decide, and it is not ours.
          if (isOwnReplyInPlace(bytes, OWN)) expect(fullVerdict(bytes, '192.0.2.200')).not.toBe('server');
        },
      ),
    );
  });
});
