import { EncodeError } from '../errors.js';

/**
 * DHCP text is a string of octets (RFC 2132 §2: NVT ASCII). Each octet maps to one character (latin1), so any value
 * decodes and re-encodes byte for byte; characters above U+00FF cannot be sent and throw `EncodeError('text')`.
 */
export function textFromBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

export function textToBytes(text: string, what: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new EncodeError('text', `${what}: character U+${c.toString(16)} is not one octet`);
    out[i] = c;
  }
  return out;
}

// RFC 2132 §2: "the receiver of such options MUST be prepared to delete trailing nulls if they exist".
export function withoutTrailingNuls(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return bytes.subarray(0, end);
}

/** The text of a NUL-terminated fixed field (sname, file): up to the first NUL, or the whole field if it has none. */
export function fieldText(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return textFromBytes(nul < 0 ? bytes : bytes.subarray(0, nul));
}

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/**
 * RFC 1123 §2.1 host name: dot-separated labels of letters, digits and hyphens, 1–63 characters each, not starting
 * or ending with a hyphen, 253 characters in all. Underscores, spaces, control characters and empty labels fail:
 * such a name must never reach a template, a DNS update or a log unescaped (reliability-catalogue D18).
 */
export function isRfc1123Name(text: string): boolean {
  return text.length >= 1 && text.length <= 253 && text.split('.').every((label) => LABEL.test(label));
}
