import { type Ipv4, ipv4FromBytes, ipv4ToBytes } from '../../values/ipv4.js';
import { EncodeError } from '../errors.js';
import { dhcpDecodeError, type Dhcp4DecodeReason } from './reasons.js';
import { textFromBytes, textToBytes, withoutTrailingNuls } from './text.js';

/**
 * How one option's bytes become a typed value and back. `offset` is where the value starts in the datagram (for a
 * value concatenated from several instances, RFC 3396, where the first one starts), used only in errors.
 */
export interface OptionCodec<T> {
  decode(data: Uint8Array, offset: number): T;
  encode(value: T): Uint8Array;
}

function wrongLength(offset: number, what: string, length: number): never {
  throw dhcpDecodeError(offset, 'opt-len', `${what}: ${length} byte(s)`);
}

export const ipv4Codec: OptionCodec<Ipv4> = {
  decode(data, offset) {
    if (data.length !== 4) wrongLength(offset, 'IPv4 address needs 4', data.length);
    return ipv4FromBytes(data);
  },
  encode: ipv4ToBytes,
};

export const ipv4ListCodec: OptionCodec<readonly Ipv4[]> = {
  decode(data, offset) {
    if (data.length === 0 || data.length % 4 !== 0) {
      wrongLength(offset, 'IPv4 address list needs a multiple of 4', data.length);
    }
    const out: Ipv4[] = [];
    for (let i = 0; i < data.length; i += 4) out.push(ipv4FromBytes(data.subarray(i, i + 4)));
    return out;
  },
  encode(value) {
    if (value.length === 0) throw new EncodeError('empty', 'an IPv4 address list needs at least one address');
    const out = new Uint8Array(value.length * 4);
    for (const [i, ip] of value.entries()) out.set(ipv4ToBytes(ip), i * 4);
    return out;
  },
};

/** An unsigned big-endian integer of `size` bytes (RFC 2132 §2: network byte order). */
export function uintCodec(size: 1 | 2 | 4): OptionCodec<number> {
  const max = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
  return {
    decode(data, offset) {
      if (data.length !== size) wrongLength(offset, `integer needs ${size}`, data.length);
      return data.reduce((acc, b) => acc * 256 + b, 0);
    },
    encode(value) {
      if (!Number.isInteger(value) || value < 0 || value > max) {
        throw new EncodeError('range', `${value} does not fit ${size} byte(s)`);
      }
      const out = new Uint8Array(size);
      for (let i = size - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
      return out;
    },
  };
}

/** A list of octets (option 55). An empty list is accepted: it asks for nothing, and is harmless. */
export const u8ListCodec: OptionCodec<readonly number[]> = {
  decode: (data) => Array.from(data),
  encode(value) {
    for (const v of value) {
      if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new EncodeError('range', `${v} is not an octet`);
    }
    return Uint8Array.from(value);
  },
};

/** A non-empty list of 16-bit integers (option 93, RFC 4578 §2.1). */
export const u16ListCodec: OptionCodec<readonly number[]> = {
  decode(data, offset) {
    if (data.length === 0 || data.length % 2 !== 0) {
      wrongLength(offset, 'list of 16-bit values needs a multiple of 2', data.length);
    }
    const out: number[] = [];
    for (let i = 0; i < data.length; i += 2) out.push(((data[i] ?? 0) << 8) | (data[i + 1] ?? 0));
    return out;
  },
  encode(value) {
    if (value.length === 0) throw new EncodeError('empty', 'a list of 16-bit values needs at least one');
    const out = new Uint8Array(value.length * 2);
    value.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new EncodeError('range', `${v} is not 16-bit`);
      out[i * 2] = v >>> 8;
      out[i * 2 + 1] = v & 0xff;
    });
    return out;
  },
};

/** Opaque bytes of at least `minLength` (unknown structure, or kept raw on purpose: 43, 61, 175). */
export function bytesCodec(minLength: number): OptionCodec<Uint8Array> {
  return {
    decode(data, offset) {
      if (data.length < minLength) wrongLength(offset, `needs at least ${minLength}`, data.length);
      return data.slice();
    },
    encode(value) {
      if (value.length < minLength) throw new EncodeError('range', `needs at least ${minLength} byte(s)`);
      return value.slice();
    },
  };
}

/**
 * Text (RFC 2132 §2), trailing NULs removed as that section requires of receivers. Empty text, before or after
 * that, is refused (`empty`; every text option has a minimum length of 1). `check` names a further rule.
 */
export function textCodec(
  check?: { readonly test: (text: string) => boolean; readonly reason: Dhcp4DecodeReason },
  what = 'text',
): OptionCodec<string> {
  return {
    decode(data, offset) {
      const text = textFromBytes(withoutTrailingNuls(data));
      if (text === '') throw dhcpDecodeError(offset, 'empty', `${what} is empty or only NULs`);
      if (check !== undefined && !check.test(text)) {
        throw dhcpDecodeError(offset, check.reason, `${what} ${JSON.stringify(text.slice(0, 64))}`);
      }
      return text;
    },
    encode(value) {
      // Symmetric with decode, so whatever we send, we would accept.
      if (value === '' || value.endsWith('\0'))
        throw new EncodeError('empty', `${what} is empty or ends in NUL`);
      if (check !== undefined && !check.test(value)) throw new EncodeError(check.reason, `${what} ${value}`);
      return textToBytes(value, what);
    },
  };
}
