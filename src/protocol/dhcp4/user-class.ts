import { EncodeError } from '../errors.js';
import type { OptionCodec } from './option-codecs.js';
import { dhcpDecodeError } from './reasons.js';
import { textFromBytes, textToBytes } from './text.js';

/**
 * Option 77, User Class. Clients disagree on its format, so the raw bytes are kept and both readings offered:
 * RFC 3004 §2 says a list of `length, data` instances; iPXE (`iPXE`, ipxe.org/cfg/user-class) and ISC dhclient
 * (`send user-class "…"`) send one bare string. A bare string can happen to parse as RFC 3004 too, so policy
 * should match a class name against both views (`hasUserClass`).
 */
export interface UserClass {
  /** What goes on the wire, exactly as received. */
  readonly raw: Uint8Array;
  /** The RFC 3004 reading, or undefined when the bytes are not a well-formed RFC 3004 list. */
  readonly classes: readonly string[] | undefined;
  /** The bare-string reading: every byte as one character. */
  readonly text: string;
}

export function userClassFromRaw(raw: Uint8Array): UserClass {
  return { raw: raw.slice(), classes: rfc3004Classes(raw), text: textFromBytes(raw) };
}

/** An RFC 3004 user class of the given instances (each 1–255 octets). */
export function userClassFromList(classes: readonly string[]): UserClass {
  const parts: number[] = [];
  for (const c of classes) {
    const bytes = textToBytes(c, 'user class');
    if (bytes.length === 0 || bytes.length > 255) {
      throw new EncodeError('range', `user class instance of ${bytes.length} bytes`);
    }
    parts.push(bytes.length, ...bytes);
  }
  return userClassFromRaw(Uint8Array.from(parts));
}

/** True if `name` is the whole bare string or one of the RFC 3004 instances. */
export function hasUserClass(userClass: UserClass, name: string): boolean {
  return userClass.text === name || (userClass.classes?.includes(name) ?? false);
}

// RFC 3004 §2: each instance is UC_Len_i (≥ 1) followed by that many octets, and together they fill the option.
function rfc3004Classes(raw: Uint8Array): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < raw.length) {
    const length = raw[i] ?? 0;
    if (length === 0 || i + 1 + length > raw.length) return undefined;
    out.push(textFromBytes(raw.subarray(i + 1, i + 1 + length)));
    i += 1 + length;
  }
  return out.length > 0 ? out : undefined;
}

/** An empty option 77 is the only refusal (`opt-len`): every other byte string has at least the bare reading. */
export const userClassCodec: OptionCodec<UserClass> = {
  decode(data, offset) {
    if (data.length === 0) throw dhcpDecodeError(offset, 'opt-len', 'empty user class');
    return userClassFromRaw(data);
  },
  encode(value) {
    if (value.raw.length === 0) throw new EncodeError('empty', 'empty user class');
    return value.raw.slice();
  },
};
