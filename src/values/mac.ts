import { type Brand, InvalidValueError } from './brand.js';

/** An Ethernet MAC address in the canonical form of design.md §3: lower case, colon-separated (`52:54:00:12:34:56`). */
export type Mac = Brand<string, 'Mac'>;

const SEPARATED =
  /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;
const BARE = /^[0-9a-f]{12}$/i;
const DOTTED = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i; // Cisco style, seen in switch exports

/** Parses a MAC written with `:` or `-` separators, Cisco dots, or none, in any case. */
export function parseMac(input: string): Mac {
  // The store's rows and our own values are canonical already: checked in one pass, returned as they are.
  if (isCanonicalMac(input)) return input as Mac;
  const text = input.trim();
  let hex: string | undefined;
  if (SEPARATED.test(text)) hex = text.replace(/[:-]/g, '');
  else if (BARE.test(text)) hex = text;
  else if (DOTTED.test(text)) hex = text.replace(/\./g, '');
  if (hex === undefined) {
    throw new InvalidValueError('MAC address', input, 'six hex octets such as 52:54:00:12:34:56');
  }
  return hex.toLowerCase().replace(/(..)(?!$)/g, '$1:') as Mac;
}

/** The MAC of a 6-byte hardware address (DHCP chaddr with htype 1, hlen 6). */
export function macFromBytes(bytes: Uint8Array): Mac {
  if (bytes.length !== 6)
    throw new InvalidValueError('MAC address', `${bytes.length} bytes`, 'exactly 6 bytes');
  let text = HEX_OCTETS[bytes[0] ?? 0] ?? '00';
  for (let i = 1; i < 6; i++) text += `:${HEX_OCTETS[bytes[i] ?? 0] ?? '00'}`;
  return text as Mac;
}

const HEX_OCTETS: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Whether `text` is a MAC in canonical form: six pairs of lower-case hex digits joined by colons. */
function isCanonicalMac(text: string): boolean {
  if (text.length !== 17) return false;
  for (let i = 0; i < 17; i++) {
    const c = text.charCodeAt(i);
    if (i % 3 === 2) {
      if (c !== 0x3a) return false;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

export function macToBytes(mac: Mac): Uint8Array {
  return Uint8Array.from(mac.split(':'), (h) => Number.parseInt(h, 16));
}

export function isMac(input: string): boolean {
  try {
    parseMac(input);
    return true;
  } catch {
    return false;
  }
}
