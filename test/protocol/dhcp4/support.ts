import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { DecodeError } from '../../../src/protocol/errors.js';
import { decodeDhcpMessage, type DhcpMessage } from '../../../src/protocol/dhcp4/index.js';
import type { Ipv4 } from '../../../src/values/ipv4.js';

export { DISCOVER_53, rawPacket, repeat, type RawPacketFields } from './raw-packet.js';

const GOLDEN_DIR = path.resolve(import.meta.dirname, '../../golden/dhcp4');

/** Names of the captured packets (test/golden/dhcp4/NAME.hex, with NAME.txt beside it). */
export const GOLDEN_NAMES: readonly string[] = readdirSync(GOLDEN_DIR)
  .filter((f) => f.endsWith('.hex'))
  .map((f) => f.slice(0, -'.hex'.length))
  .sort();

export function golden(name: string): Uint8Array {
  return hex(readFileSync(path.join(GOLDEN_DIR, `${name}.hex`), 'utf8'));
}

export function goldenText(name: string): string {
  return readFileSync(path.join(GOLDEN_DIR, `${name}.txt`), 'utf8');
}

/** Bytes of a hex string; spaces, newlines and colons are ignored. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/[\s:]/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(digits)) throw new Error(`not hex: ${text.slice(0, 40)}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export const ip = (text: string) => text as Ipv4;

/** Asserts that decoding throws a DecodeError with this reason (and offset, if given). */
export function expectDecodeError(bytes: Uint8Array, reason: string, offset?: number): DecodeError {
  let caught: unknown;
  try {
    decodeDhcpMessage(bytes);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  const error = caught as DecodeError;
  expect(error.reason).toBe(reason);
  if (offset !== undefined) expect(error.offset).toBe(offset);
  return error;
}

/**
 * A message without its wire layout (optionOrder, the order of otherOptions, and where in the datagram a rejected
 * option sat), for comparing a decoded message with a built one: `decode(encode(m)) ≅ m` means equal up to option
 * order. A rejected option's offset is a position in the datagram it came from; re-encoded, the option's raw bytes
 * may sit elsewhere (found by the mutation property, seed -1712417915: option 97 at 382, then at 409).
 */
export function comparable(message: DhcpMessage): Omit<DhcpMessage, 'optionOrder' | 'rejectedOptions'> & {
  rejectedOptions: { code: number; reason: string }[];
} {
  const { optionOrder: _ignored, ...rest } = message;
  return {
    ...rest,
    otherOptions: [...rest.otherOptions].sort((a, b) => a.code - b.code),
    rejectedOptions: rest.rejectedOptions.map(({ code, reason }) => ({ code, reason })),
  };
}

/** The option bytes of an encoded message: after the cookie, up to and including END. */
export function optionBytes(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let i = 240;
  while (i < bytes.length) {
    const code = bytes[i] ?? 0;
    if (code === 0) break;
    if (code === 255) {
      out.push(255);
      break;
    }
    const length = bytes[i + 1] ?? 0;
    out.push(...bytes.subarray(i, i + 2 + length));
    i += 2 + length;
  }
  return out;
}
