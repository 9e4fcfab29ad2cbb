import { type Brand, InvalidValueError } from './brand.js';

/** An Ethernet MAC address in the canonical form of design.md §3: lower case, colon-separated (`52:54:00:12:34:56`). */
export type Mac = Brand<string, 'Mac'>;

const SEPARATED =
  /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;
const BARE = /^[0-9a-f]{12}$/i;
const DOTTED = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i; // Cisco style, seen in switch exports

/** Parses a MAC written with `:` or `-` separators, Cisco dots, or none, in any case. */
export function parseMac(input: string): Mac {
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
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':') as Mac;
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
