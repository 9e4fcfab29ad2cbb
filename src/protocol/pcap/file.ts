import { ByteWriter } from '../bytes/writer.js';
import { DecodeError, EncodeError } from '../errors.js';
import { decodeUdpFrame, encodeUdpFrame, type UdpFrame, UDP_FRAME_HEADER_LENGTH } from './frame.js';

// The classic libpcap file format (https://www.tcpdump.org/manpages/pcap-savefile.5.html,
// draft-ietf-opsawg-pcap): a 24-octet file header, then per packet a 16-octet record header and the captured
// octets. Every reader (libpcap, Wireshark, tshark, tcpdump) takes either byte order, told by how the magic
// number reads; this writer uses big-endian, the order ByteWriter writes.

/** Timestamps in seconds and microseconds. (0xa1b23c4d would mean nanoseconds.) */
const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
const VERSION_MAJOR = 2;
const VERSION_MINOR = 4;
/** LINKTYPE_ETHERNET (https://www.tcpdump.org/linktypes.html). */
export const LINKTYPE_ETHERNET = 1;
/** The snapshot length in the header: tcpdump's default (libpcap's MAXIMUM_SNAPLEN), above any frame here. */
export const PCAP_SNAPLEN = 262_144;
const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;

/** A pcap file of Ethernet frames carrying the given UDP datagrams, in the order given. */
export function encodePcap(frames: readonly UdpFrame[]): Uint8Array {
  const writer = new ByteWriter(FILE_HEADER_LENGTH + frames.length * 128)
    .u32(MAGIC_MICROSECONDS)
    .u16(VERSION_MAJOR)
    .u16(VERSION_MINOR)
    .u32(0) // thiszone: timestamps are UTC
    .u32(0) // sigfigs: always 0
    .u32(PCAP_SNAPLEN)
    .u32(LINKTYPE_ETHERNET);
  for (const frame of frames) {
    const { timestampMicros } = frame;
    if (!Number.isSafeInteger(timestampMicros) || timestampMicros < 0) {
      throw new EncodeError('range', `timestamp ${timestampMicros} µs is not a non-negative integer`);
    }
    const captured = encodeUdpFrame(frame);
    writer
      .u32(Math.floor(timestampMicros / 1_000_000))
      .u32(timestampMicros % 1_000_000)
      .u32(captured.length) // incl_len: octets in the file
      .u32(UDP_FRAME_HEADER_LENGTH + frame.payloadLength) // orig_len: octets on the wire
      .bytes(captured);
  }
  return writer.toBytes();
}

/** A record of a pcap file: its frame decoded, with the lengths the record header gave. */
export interface PcapRecord {
  readonly frame: UdpFrame;
  /** incl_len: octets captured. */
  readonly capturedLength: number;
  /** orig_len: octets on the wire. */
  readonly originalLength: number;
}

/**
 * Reads a pcap file of Ethernet frames carrying UDP over IPv4 (what encodePcap writes, in either byte order and
 * either timestamp resolution), checking each frame's checksums as decodeUdpFrame does.
 */
export function decodePcap(bytes: Uint8Array): PcapRecord[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < FILE_HEADER_LENGTH) throw new DecodeError(0, 'short', 'no pcap file header');
  const big = view.getUint32(0, false);
  const little = view.getUint32(0, true);
  const bigEndian = big === MAGIC_MICROSECONDS || big === MAGIC_NANOSECONDS;
  if (!bigEndian && little !== MAGIC_MICROSECONDS && little !== MAGIC_NANOSECONDS) {
    throw new DecodeError(0, 'magic', 'not a pcap file');
  }
  const nanoseconds = (bigEndian ? big : little) === MAGIC_NANOSECONDS;
  const u32 = (offset: number) => view.getUint32(offset, !bigEndian);
  if (u32(20) !== LINKTYPE_ETHERNET) throw new DecodeError(20, 'linktype', `${u32(20)} is not Ethernet`);
  const records: PcapRecord[] = [];
  let offset = FILE_HEADER_LENGTH;
  while (offset < bytes.length) {
    if (bytes.length - offset < RECORD_HEADER_LENGTH) throw new DecodeError(offset, 'short', 'record header');
    const seconds = u32(offset);
    const fraction = u32(offset + 4);
    const capturedLength = u32(offset + 8);
    const originalLength = u32(offset + 12);
    const start = offset + RECORD_HEADER_LENGTH;
    if (bytes.length - start < capturedLength) throw new DecodeError(start, 'short', 'record data');
    if (originalLength < capturedLength) throw new DecodeError(offset + 12, 'orig-len');
    const decoded = decodeUdpFrame(bytes.subarray(start, start + capturedLength), originalLength);
    const timestampMicros = seconds * 1_000_000 + (nanoseconds ? Math.floor(fraction / 1000) : fraction);
    records.push({ frame: { ...decoded, timestampMicros }, capturedLength, originalLength });
    offset = start + capturedLength;
  }
  return records;
}
