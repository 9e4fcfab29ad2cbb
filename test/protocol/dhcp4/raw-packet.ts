// Datagrams built byte by byte, for bad-input cases the encoder would never produce. Free of vitest so that the
// decode-cost benchmark (bench/dhcp-decode-cost.ts) builds the same packets as the tests.

export interface RawPacketFields {
  op?: number;
  htype?: number;
  hlen?: number;
  hops?: number;
  xid?: number;
  secs?: number;
  flags?: number;
  chaddr?: number[];
  sname?: Uint8Array;
  file?: Uint8Array;
  cookie?: number[] | null;
  /** Raw option bytes after the cookie (no END is added). */
  options?: number[] | Uint8Array;
}

/** A datagram built byte by byte, for bad-input cases the encoder would never produce. */
export function rawPacket(fields: RawPacketFields = {}): Uint8Array {
  const header = new Uint8Array(236);
  header[0] = fields.op ?? 1;
  header[1] = fields.htype ?? 1;
  header[2] = fields.hlen ?? 6;
  header[3] = fields.hops ?? 0;
  new DataView(header.buffer).setUint32(4, fields.xid ?? 0x12345678);
  new DataView(header.buffer).setUint16(8, fields.secs ?? 0);
  new DataView(header.buffer).setUint16(10, fields.flags ?? 0);
  header.set(fields.chaddr ?? [0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 28);
  if (fields.sname) header.set(fields.sname, 44);
  if (fields.file) header.set(fields.file, 108);
  const cookie = fields.cookie === null ? [] : (fields.cookie ?? [99, 130, 83, 99]);
  return Uint8Array.from([...header, ...cookie, ...(fields.options ?? [])]);
}

/** `count` copies of `byte`. */
export function repeat(count: number, byte: number): number[] {
  return Array.from({ length: count }, () => byte);
}

/** Option bytes of a minimal DHCPDISCOVER: message type 1. */
export const DISCOVER_53 = [53, 1, 1];

/**
 * The costliest option layouts a 1500-byte datagram can carry (catalogue D32: "never > 1 ms per packet"). The
 * tests check what they decode to; bench/dhcp-decode-cost.ts measures what they cost.
 */
export const WORST_OPTION_LAYOUTS: readonly { readonly name: string; readonly bytes: Uint8Array }[] = [
  {
    name: '630 zero-length pieces of one option (RFC 3396 concatenation)',
    bytes: rawPacket({ options: [...DISCOVER_53, ...Array.from({ length: 630 }, () => [150, 0]).flat()] }),
  },
  {
    name: '420 one-byte host-name pieces (one 420-byte name to validate and reject)',
    bytes: rawPacket({
      options: [...DISCOVER_53, ...Array.from({ length: 420 }, () => [12, 1, 0x61]).flat()],
    }),
  },
  {
    name: '630 zero-length options over 40 codes',
    bytes: rawPacket({
      options: [...DISCOVER_53, ...Array.from({ length: 630 }, (_, i) => [(i % 40) + 150, 0]).flat()],
    }),
  },
];
