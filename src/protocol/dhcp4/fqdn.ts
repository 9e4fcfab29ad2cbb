import { EncodeError } from '../errors.js';
import type { OptionCodec } from './option-codecs.js';
import { dhcpDecodeError } from './reasons.js';
import { textFromBytes, textToBytes } from './text.js';

/** RFC 4702 §2.1 flag bits of option 81. */
export const FQDN_FLAG_SERVER_UPDATES = 0x01; // S
export const FQDN_FLAG_OVERRIDE = 0x02; // O
export const FQDN_FLAG_ENCODED = 0x04; // E: name in DNS wire format (else deprecated ASCII)
export const FQDN_FLAG_NO_UPDATES = 0x08; // N

/** Option 81, Client FQDN (RFC 4702). */
export interface ClientFqdn {
  /** S/O/E/N bits; the reserved (MBZ) bits are kept as sent: RFC 4702 §2.1 says receivers ignore them. */
  readonly flags: number;
  /** RCODE1/RCODE2, deprecated (RFC 4702 §2.2): clients send 0, servers 255. */
  readonly rcode1: number;
  readonly rcode2: number;
  /**
   * The name in presentation form. With the E flag, a trailing dot means the wire form ended in the root label (a
   * fully qualified name); without it, the name is partial (RFC 4702 §2.3.1). Without E, the ASCII text as sent.
   */
  readonly domainName: string;
}

const MAX_WIRE_NAME = 255; // RFC 1035 §2.3.4

/**
 * A malformed option 81 refuses the packet (`fqdn`): Kea's CVE-2019-6473 was a server crash on exactly this option
 * (reliability-catalogue D19), and a name we cannot parse cannot be used for a DNS update either.
 */
export const clientFqdnCodec: OptionCodec<ClientFqdn> = {
  decode(data, offset) {
    // RFC 4702 §2: flags, rcode1, rcode2, then the name (possibly empty).
    if (data.length < 3) throw dhcpDecodeError(offset, 'fqdn', `${data.length} byte(s), needs at least 3`);
    const flags = data[0] ?? 0;
    // RFC 4702 §2.1: "If the N bit is 1, the S bit MUST be 0."
    if ((flags & FQDN_FLAG_NO_UPDATES) !== 0 && (flags & FQDN_FLAG_SERVER_UPDATES) !== 0) {
      throw dhcpDecodeError(offset, 'fqdn', 'flags N and S both set');
    }
    const name = data.subarray(3);
    const domainName =
      (flags & FQDN_FLAG_ENCODED) !== 0 ? wireName(name, offset + 3) : asciiName(name, offset + 3);
    return { flags, rcode1: data[1] ?? 0, rcode2: data[2] ?? 0, domainName };
  },
  encode(value) {
    const name =
      (value.flags & FQDN_FLAG_ENCODED) !== 0
        ? wireNameBytes(value.domainName)
        : asciiNameBytes(value.domainName);
    const out = new Uint8Array(3 + name.length);
    out.set([value.flags, value.rcode1, value.rcode2]);
    out.set(name, 3);
    return out;
  },
};

// RFC 4702 §2.3.1: canonical wire format (RFC 1035 §3.1), no compression; a final zero-length label or none.
function wireName(bytes: Uint8Array, offset: number): string {
  if (bytes.length > MAX_WIRE_NAME) throw dhcpDecodeError(offset, 'fqdn', `name of ${bytes.length} bytes`);
  const labels: string[] = [];
  let i = 0;
  while (i < bytes.length) {
    const length = bytes[i] ?? 0;
    if (length === 0) {
      if (i !== bytes.length - 1) throw dhcpDecodeError(offset + i, 'fqdn', 'data after the root label');
      return `${labels.join('.')}.`;
    }
    // 0xc0 would be a compression pointer, which RFC 4702 forbids; anything over 63 is not a label length.
    if (length > 63) throw dhcpDecodeError(offset + i, 'fqdn', `label length ${length}`);
    if (i + 1 + length > bytes.length)
      throw dhcpDecodeError(offset + i, 'fqdn', 'label runs past the option');
    const label = bytes.subarray(i + 1, i + 1 + length);
    if (label.includes(0x2e)) throw dhcpDecodeError(offset + i, 'fqdn', 'a dot inside a label');
    labels.push(textFromBytes(label));
    i += 1 + length;
  }
  return labels.join('.');
}

function asciiName(bytes: Uint8Array, offset: number): string {
  const bad = bytes.findIndex((b) => b < 0x20 || b > 0x7e);
  if (bad >= 0)
    throw dhcpDecodeError(offset + bad, 'fqdn', `byte 0x${(bytes[bad] ?? 0).toString(16)} in an ASCII name`);
  return textFromBytes(bytes);
}

function asciiNameBytes(name: string): Uint8Array {
  if (!/^[\x20-\x7e]*$/.test(name)) throw new EncodeError('fqdn', `ASCII name ${JSON.stringify(name)}`);
  return textToBytes(name, 'client FQDN');
}

function wireNameBytes(name: string): Uint8Array {
  if (name === '') return new Uint8Array(0);
  const complete = name.endsWith('.');
  const labels = (complete ? name.slice(0, -1) : name).split('.');
  const parts: number[] = [];
  for (const label of complete && labels.length === 1 && labels[0] === '' ? [] : labels) {
    const bytes = textToBytes(label, 'client FQDN label');
    if (bytes.length === 0 || bytes.length > 63) {
      throw new EncodeError('fqdn', `label ${JSON.stringify(label)} must be 1–63 bytes`);
    }
    parts.push(bytes.length, ...bytes);
  }
  if (complete) parts.push(0);
  if (parts.length > MAX_WIRE_NAME) throw new EncodeError('fqdn', `name of ${parts.length} bytes`);
  return Uint8Array.from(parts);
}
