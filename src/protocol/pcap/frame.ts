import { type Ipv4, ipv4FromBytes, ipv4ToBytes } from '../../values/ipv4.js';
import { type Mac, macFromBytes, macToBytes } from '../../values/mac.js';
import { ByteReader } from '../bytes/reader.js';
import { ByteWriter } from '../bytes/writer.js';
import { DecodeError, EncodeError } from '../errors.js';
import { internetChecksum } from './checksum.js';

/** One end of a UDP datagram in a synthesised Ethernet frame. */
export interface UdpEndpoint {
  readonly mac: Mac;
  readonly address: Ipv4;
  readonly port: number;
}

/**
 * A UDP datagram over IPv4 over Ethernet, as a capture holds it: the payload as captured (all of it, or its first
 * octets) and its length on the wire. A frame whose payload was cut (`payload.length < payloadLength`) is what
 * `tcpdump -s` records: the headers say the real sizes, the capture holds only the start.
 */
export interface UdpFrame {
  /** Capture time, µs since the epoch. */
  readonly timestampMicros: number;
  readonly source: UdpEndpoint;
  readonly destination: UdpEndpoint;
  readonly payload: Uint8Array;
  /** The UDP payload's length on the wire, at least `payload.length`. */
  readonly payloadLength: number;
  /** IPv4 identification (RFC 791 §3.1). */
  readonly ipId: number;
  /** IPv4 time to live. */
  readonly ttl: number;
}

/** Ethernet II (14) + IPv4 without options (20) + UDP (8). */
export const UDP_FRAME_HEADER_LENGTH = 42;
const ETHERTYPE_IPV4 = 0x0800;
const IP_PROTOCOL_UDP = 17;
const IPV4_HEADER_LENGTH = 20;
const UDP_HEADER_LENGTH = 8;
/** The largest UDP payload an IPv4 datagram carries: 65535 − 20 − 8. */
export const MAX_UDP_PAYLOAD = 65_507;

/** The frame's octets as captured: headers that state the real lengths, then the captured payload. */
export function encodeUdpFrame(frame: UdpFrame): Uint8Array {
  const { payload, payloadLength } = frame;
  if (!Number.isInteger(payloadLength) || payloadLength < payload.length || payloadLength > MAX_UDP_PAYLOAD) {
    throw new EncodeError(
      'range',
      `payload length ${payloadLength} is not from ${payload.length} (captured) to ${MAX_UDP_PAYLOAD}`,
    );
  }
  const source = ipv4ToBytes(frame.source.address);
  const destination = ipv4ToBytes(frame.destination.address);
  const udpLength = UDP_HEADER_LENGTH + payloadLength;
  const ip = new ByteWriter(IPV4_HEADER_LENGTH)
    .u8(0x45) // RFC 791 §3.1: version 4, IHL 5 words (no options)
    .u8(0) // DSCP/ECN
    .u16(IPV4_HEADER_LENGTH + udpLength)
    .u16(frame.ipId)
    .u16(0) // flags and fragment offset: a whole datagram
    .u8(frame.ttl)
    .u8(IP_PROTOCOL_UDP)
    .u16(0) // header checksum, filled in below
    .bytes(source)
    .bytes(destination)
    .toBytes();
  const ipChecksum = internetChecksum(ip);
  ip[10] = ipChecksum >>> 8;
  ip[11] = ipChecksum & 0xff;
  const udp = new ByteWriter(UDP_HEADER_LENGTH)
    .u16(frame.source.port)
    .u16(frame.destination.port)
    .u16(udpLength)
    .u16(0)
    .toBytes();
  const checksum = udpChecksum(source, destination, udp, payload, payloadLength);
  udp[6] = checksum >>> 8;
  udp[7] = checksum & 0xff;
  return new ByteWriter(UDP_FRAME_HEADER_LENGTH + payload.length)
    .bytes(macToBytes(frame.destination.mac))
    .bytes(macToBytes(frame.source.mac))
    .u16(ETHERTYPE_IPV4)
    .bytes(ip)
    .bytes(udp)
    .bytes(payload)
    .toBytes();
}

/**
 * RFC 768: the checksum over a pseudo-header (source, destination, protocol, UDP length), the UDP header and the
 * payload; a sum of 0 is sent as 0xffff, since 0 means "no checksum". A cut payload cannot be summed (its missing
 * octets are not stored), so its frame says 0, "the transmitter generated no checksum": Wireshark then shows the
 * field as not checked instead of reporting a wrong one.
 */
function udpChecksum(
  source: Uint8Array,
  destination: Uint8Array,
  header: Uint8Array,
  payload: Uint8Array,
  payloadLength: number,
): number {
  if (payload.length < payloadLength) return 0;
  const pseudo = new ByteWriter(12)
    .bytes(source)
    .bytes(destination)
    .u8(0)
    .u8(IP_PROTOCOL_UDP)
    .u16(header.length + payloadLength)
    .toBytes();
  const sum = internetChecksum(pseudo, header, payload);
  return sum === 0 ? 0xffff : sum;
}

/** What a frame holds besides its capture time; the inverse of encodeUdpFrame, checksums verified. */
export type DecodedUdpFrame = Omit<UdpFrame, 'timestampMicros'>;

/**
 * Reads a frame encodeUdpFrame wrote (Ethernet II, IPv4 without options, UDP), checking what a reader of the
 * capture would check: the IPv4 header checksum, and the UDP checksum when the whole payload is there and the
 * checksum is not 0. `length` is the frame's length on the wire.
 */
export function decodeUdpFrame(bytes: Uint8Array, length: number): DecodedUdpFrame {
  const reader = new ByteReader(bytes);
  const destinationMac = macFromBytes(reader.take(6));
  const sourceMac = macFromBytes(reader.take(6));
  if (reader.u16() !== ETHERTYPE_IPV4) throw new DecodeError(12, 'ethertype', 'not IPv4');
  const ipStart = reader.offset;
  const ip = reader.take(IPV4_HEADER_LENGTH);
  if (ip[0] !== 0x45) throw new DecodeError(ipStart, 'ip-version', 'not IPv4 without options');
  if (ip[9] !== IP_PROTOCOL_UDP) throw new DecodeError(ipStart + 9, 'ip-protocol', 'not UDP');
  if (internetChecksum(ip) !== 0) throw new DecodeError(ipStart + 10, 'ip-checksum');
  const totalLength = ((ip[2] ?? 0) << 8) | (ip[3] ?? 0);
  if (totalLength + 14 !== length) {
    throw new DecodeError(ipStart + 2, 'ip-length', `${totalLength} + 14 is not the frame's ${length}`);
  }
  const udpStart = reader.offset;
  const udp = reader.take(UDP_HEADER_LENGTH);
  const udpLength = ((udp[4] ?? 0) << 8) | (udp[5] ?? 0);
  if (udpLength !== totalLength - IPV4_HEADER_LENGTH) throw new DecodeError(udpStart + 4, 'udp-length');
  const payload = reader.rest();
  const payloadLength = udpLength - UDP_HEADER_LENGTH;
  if (payload.length > payloadLength) throw new DecodeError(udpStart + 4, 'udp-length', 'more than it says');
  const checksum = ((udp[6] ?? 0) << 8) | (udp[7] ?? 0);
  if (checksum !== 0 && payload.length === payloadLength) {
    const pseudo = new ByteWriter(12)
      .bytes(ip.subarray(12, 20))
      .u8(0)
      .u8(IP_PROTOCOL_UDP)
      .u16(udpLength)
      .toBytes();
    if (internetChecksum(pseudo, udp, payload) !== 0) throw new DecodeError(udpStart + 6, 'udp-checksum');
  }
  return {
    source: {
      mac: sourceMac,
      address: ipv4FromBytes(ip.subarray(12, 16)),
      port: ((udp[0] ?? 0) << 8) | (udp[1] ?? 0),
    },
    destination: {
      mac: destinationMac,
      address: ipv4FromBytes(ip.subarray(16, 20)),
      port: ((udp[2] ?? 0) << 8) | (udp[3] ?? 0),
    },
    payload,
    payloadLength,
    ipId: ((ip[4] ?? 0) << 8) | (ip[5] ?? 0),
    ttl: ip[8] ?? 0,
  };
}
