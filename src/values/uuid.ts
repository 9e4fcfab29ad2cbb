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
  const b = Array.from(bytes);
  const ordered =
    byteOrder === 'smbios' ? [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15].map((i) => b[i] ?? 0) : b;
  const hex = ordered.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` as Uuid;
}

export function uuidToBytes(uuid: Uuid, byteOrder: 'smbios' | 'network'): Uint8Array {
  const b = Uint8Array.from(uuid.replace(/-/g, '').match(/../g) ?? [], (h) => Number.parseInt(h, 16));
  if (byteOrder === 'network') return b;
  return Uint8Array.from([3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15], (i) => b[i] ?? 0);
}
