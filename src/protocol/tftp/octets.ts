import type { ByteReader } from '../bytes/reader.js';
import { EncodeError } from '../errors.js';

/**
 * TFTP strings (file name, mode, options, error message) are octets: RFC 1350 §5 calls them "netascii" but servers
 * and clients pass any byte through. One octet becomes one character (latin1), so every datagram decodes, and
 * re-encodes byte for byte; no UTF-8 decoding can turn an overlong `0xC0 0xAF` into a `/` (reliability-catalogue
 * T07) because no UTF-8 decoding happens.
 */
export function octetsToText(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

/** `text` as octets; a character above U+00FF or a NUL (it would end the field early) throws `EncodeError`. */
export function textToOctets(text: string, what: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new EncodeError('text', `${what}: character U+${c.toString(16)} is not one octet`);
    if (c === 0) throw new EncodeError('text', `${what}: contains a NUL, which would end the field`);
    out[i] = c;
  }
  return out;
}

/** A field read up to its NUL: the first `keep` octets as text, and how many octets it really had. */
export interface Field {
  readonly text: string;
  readonly length: number;
}

/**
 * Reads one NUL-terminated field and consumes its NUL. Keeps at most `keep` octets (the rest is counted, not
 * stored), so a hostile 60 KB name costs a scan, not a 60 KB string. With no NUL before the end of the datagram,
 * throws `DecodeError('unterminated')` at the end: never a read past the datagram (T03).
 */
export function readNulTerminated(reader: ByteReader, keep: number): Field {
  let text = '';
  let length = 0;
  for (;;) {
    const b = reader.u8('unterminated');
    if (b === 0) return { text, length };
    if (length < keep) text += String.fromCharCode(b);
    length++;
  }
}

/** ASCII-only lower case: mode and option names compare case-insensitively (RFC 1350 §5, RFC 2347), octets only. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}
