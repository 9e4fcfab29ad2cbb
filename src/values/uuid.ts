import { type Brand, InvalidValueError } from './brand.js';

/** An SMBIOS system UUID in canonical RFC 4122 text form, lower case (`8-4-4-4-12`). */
export type Uuid = Brand<string, 'Uuid'>;

const TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseUuid(input: string): Uuid {
  const text = input.trim();
  if (!TEXT.test(text)) {
    throw new InvalidValueError(
      'UUID',
      input,
      '8-4-4-4-12 hex digits such as 4c4c4544-0032-3010-8052-b4c04f4e4432',
    );
  }
  return text.toLowerCase() as Uuid;
}

/**
 * The UUID of 16 wire bytes. `byteOrder: 'smbios'` reads the first three fields little-endian, as SMBIOS 2.6+
 * stores them and as PXE clients copy them into option 97 (protocol-digest §2.1); `'network'` reads all fields
 * big-endian as RFC 4122 does.
 */
export function uuidFromBytes(bytes: Uint8Array, byteOrder: 'smbios' | 'network'): Uuid {
  if (bytes.length !== 16) throw new InvalidValueError('UUID', `${bytes.length} bytes`, 'exactly 16 bytes');
  const order = byteOrder === 'smbios' ? SMBIOS_ORDER : NETWORK_ORDER;
  let text = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text += '-';
    text += HEX_OCTETS[bytes[order[i] ?? i] ?? 0] ?? '00';
  }
  return text as Uuid;
}

export function uuidToBytes(uuid: Uuid, byteOrder: 'smbios' | 'network'): Uint8Array {
  const b = hexOctets(uuid) ?? lenientOctets(uuid);
  if (byteOrder === 'network') return b;
  return Uint8Array.from(SMBIOS_ORDER, (i) => b[i] ?? 0);
}

/** The wire position of each of the 16 octets of the text form, in text order. */
const SMBIOS_ORDER: readonly number[] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
const NETWORK_ORDER: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const HEX_OCTETS: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** The 16 octets of a canonical UUID (8-4-4-4-12 hex digits, lower or upper case); undefined for other text. */
function hexOctets(uuid: string): Uint8Array | undefined {
  if (uuid.length !== 36) return undefined;
  const out = new Uint8Array(16);
  let n = 0;
  for (let i = 0; i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (uuid.charCodeAt(i) !== 0x2d) return undefined;
      i -= 1; // the octet starts after the hyphen
      continue;
    }
    const high = hexValue(uuid.charCodeAt(i));
    const low = hexValue(uuid.charCodeAt(i + 1));
    if (high < 0 || low < 0) return undefined;
    out[n++] = high * 16 + low;
  }
  return n === 16 ? out : undefined;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Any other text as before: hyphens removed, pairs of characters read as hex. */
function lenientOctets(uuid: string): Uint8Array {
  return Uint8Array.from(uuid.replace(/-/g, '').match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}
