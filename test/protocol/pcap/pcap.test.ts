// The pcap codec against itself (round trips, as properties) and against RFC 1071's worked examples.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from '../../../src/protocol/errors.js';
import {
  decodePcap,
  encodePcap,
  internetChecksum,
  MAX_UDP_PAYLOAD,
  type UdpFrame,
} from '../../../src/protocol/pcap/index.js';
import { ipv4FromInt } from '../../../src/values/ipv4.js';
import { macFromBytes } from '../../../src/values/mac.js';

const endpoint = fc.record({
  mac: fc.uint8Array({ minLength: 6, maxLength: 6 }).map(macFromBytes),
  address: fc.integer({ min: 0, max: 0xffffffff }).map(ipv4FromInt),
  port: fc.integer({ min: 0, max: 0xffff }),
});

/** Frames whole or cut, up to a few KiB captured, of any length on the wire an IPv4 datagram can have. */
const frame: fc.Arbitrary<UdpFrame> = fc
  .record({
    timestampMicros: fc.integer({ min: 0, max: 4_000_000_000 * 1_000_000 }),
    source: endpoint,
    destination: endpoint,
    payload: fc.uint8Array({ maxLength: 3000 }),
    cut: fc.option(fc.integer({ min: 0, max: MAX_UDP_PAYLOAD }), { nil: undefined }),
    ipId: fc.integer({ min: 0, max: 0xffff }),
    ttl: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ cut, payload, ...rest }) => ({
    ...rest,
    payload,
    payloadLength: cut === undefined ? payload.length : Math.max(payload.length, cut),
  }));

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('internetChecksum (RFC 1071)', () => {
  it('gives the worked example of RFC 1071 §3: the sum of 0001 f203 f4f5 f6f7 is ddf2', () => {
    expect(internetChecksum(bytes(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7))).toBe(~0xddf2 & 0xffff);
  });

  it('checksums a real IPv4 header to what it carries, and the header with it to 0', () => {
    // 192.168.0.1 → 192.168.0.199, UDP, TTL 64, DF: the header checksum on the wire is 0xb861.
    const header = bytes(0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 192, 168, 0, 1, 192, 168, 0, 199);
    expect(internetChecksum(header)).toBe(0xb861);
    header[10] = 0xb8;
    header[11] = 0x61;
    expect(internetChecksum(header)).toBe(0);
  });

  it('pads an odd last octet with zero, and sums parts as if they were one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (a, b) => {
        const even = a.length % 2 === 0 ? a : a.subarray(0, a.length - 1);
        const whole = Uint8Array.from([...even, ...b]);
        expect(internetChecksum(even, b)).toBe(internetChecksum(whole));
        expect(internetChecksum(Uint8Array.from([...whole, 0]))).toBe(internetChecksum(whole));
      }),
    );
  });
});

describe('encodePcap / decodePcap', () => {
  it('round-trips any UDP frames, whole or cut, with valid IPv4 and UDP checksums', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 8 }), (frames) => {
        const records = decodePcap(encodePcap(frames));
        expect(records.map((r) => r.frame)).toEqual(frames);
        for (const [i, record] of records.entries()) {
          const original = frames[i];
          if (original === undefined) throw new Error('fewer frames than records');
          expect(record.capturedLength).toBe(42 + original.payload.length);
          expect(record.originalLength).toBe(42 + original.payloadLength);
        }
      }),
    );
  });

  it('writes the classic header: magic a1b2c3d4 (µs), version 2.4, snaplen 262144, Ethernet', () => {
    expect(Buffer.from(encodePcap([])).toString('hex')).toBe(
      'a1b2c3d4' + '0002' + '0004' + '00000000' + '00000000' + '00040000' + '00000001',
    );
  });

  it('reads a little-endian, nanosecond file as well (what other writers produce)', () => {
    const [sample] = fc.sample(frame, { numRuns: 1, seed: 7 });
    if (sample === undefined) throw new Error('no sample');
    const big = encodePcap([{ ...sample, timestampMicros: 1_700_000_000_123_456 }]);
    const little = Buffer.from(big);
    const view = new DataView(little.buffer, little.byteOffset, little.byteLength);
    view.setUint32(0, 0xa1b23c4d, true);
    view.setUint16(4, 2, true);
    view.setUint16(6, 4, true);
    for (const offset of [8, 12, 16, 20])
      view.setUint32(offset, new DataView(big.buffer).getUint32(offset), true);
    view.setUint32(24, 1_700_000_000, true);
    view.setUint32(28, 123_456_789, true); // ns
    for (const offset of [32, 36]) view.setUint32(offset, new DataView(big.buffer).getUint32(offset), true);
    expect(decodePcap(little)[0]?.frame.timestampMicros).toBe(1_700_000_000_123_456);
  });

  it('refuses a frame whose IPv4 or UDP checksum is wrong, naming which', () => {
    const whole: UdpFrame = {
      timestampMicros: 0,
      source: { mac: macFromBytes(bytes(2, 0, 0, 0, 0, 1)), address: ipv4FromInt(0xc0000201), port: 67 },
      destination: { mac: macFromBytes(bytes(2, 0, 0, 0, 0, 2)), address: ipv4FromInt(0xc000020a), port: 68 },
      payload: bytes(1, 2, 3, 4, 5),
      payloadLength: 5,
      ipId: 1,
      ttl: 64,
    };
    const file = encodePcap([whole]);
    const ipCorrupt = Uint8Array.from(file);
    ipCorrupt[24 + 16 + 14 + 8] = 63; // TTL
    expect(() => decodePcap(ipCorrupt)).toThrow(expect.objectContaining({ reason: 'ip-checksum' }));
    const udpCorrupt = Uint8Array.from(file);
    udpCorrupt[udpCorrupt.length - 1] = 6;
    expect(() => decodePcap(udpCorrupt)).toThrow(expect.objectContaining({ reason: 'udp-checksum' }));
    expect(() => decodePcap(file.subarray(0, file.length - 1))).toThrow(DecodeError);
  });

  it('refuses to write what a capture cannot say: a wire length below the captured one, a negative time', () => {
    const [sample] = fc.sample(frame, { numRuns: 1, seed: 3 });
    if (sample === undefined) throw new Error('no sample');
    const one = { ...sample, payload: bytes(1, 2, 3) };
    expect(() => encodePcap([{ ...one, payloadLength: 2 }])).toThrow(EncodeError);
    expect(() => encodePcap([{ ...one, payloadLength: MAX_UDP_PAYLOAD + 1 }])).toThrow(EncodeError);
    expect(() => encodePcap([{ ...one, payloadLength: 3, timestampMicros: -1 }])).toThrow(EncodeError);
  });
});
