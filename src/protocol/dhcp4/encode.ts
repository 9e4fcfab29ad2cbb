import { ipv4ToInt } from '../../values/ipv4.js';
import { ByteWriter, checkUint } from '../bytes/writer.js';
import { EncodeError } from '../errors.js';
import {
  CHADDR_SIZE,
  FILE_SIZE,
  FIXED_HEADER_SIZE,
  MAGIC_COOKIE,
  MIN_MESSAGE_SIZE,
  OP_BOOTREPLY,
  OP_BOOTREQUEST,
  SNAME_SIZE,
} from './layout.js';
import type { DhcpMessage } from './message.js';
import { messageTypeCode } from './message-type.js';
import {
  type DhcpOptionName,
  encodeOptionValue,
  OPTION_END,
  OPTION_MESSAGE_TYPE,
  OPTION_OVERLOAD,
  OPTION_PAD,
  optionCodeOf,
} from './options.js';
import type { RawOption } from './raw-option.js';

export interface EncodeOptions {
  /** Pad with zeros after END up to this size (default 300, BOOTP's minimum; dnsmasq MIN_PACKETSZ). */
  readonly minSize?: number;
  /** Refuse (`EncodeError('too-big')`) a result larger than this. */
  readonly maxSize?: number;
}

/**
 * Encodes a message. sname and file are NUL-terminated (at most 63 and 127 octets of text). Options go in the
 * options field only, never overloaded into sname/file: old PXE ROMs get confused by overload (dnsmasq(8)
 * --dhcp-no-override) and UEFI shim reads the boot file from `file` (protocol-digest §10.2), so a reply that does
 * not fit drops options instead (reply.ts). Values longer than 255 octets are split into consecutive instances
 * (RFC 3396 §5). Order: `optionOrder` first, then the rest by code with 53 first and 82 last (RFC 3046 §2.2).
 */
export function encodeDhcpMessage(
  message: DhcpMessage,
  { minSize = MIN_MESSAGE_SIZE, maxSize }: EncodeOptions = {},
): Uint8Array {
  checkHeader(message); // the header's faults are reported before the options' (as when it was written first)
  const bytes = encodeWithOptions(message, orderedOptions(message), minSize);
  if (maxSize !== undefined && bytes.length > maxSize) {
    throw new EncodeError('too-big', `${bytes.length} bytes, the limit is ${maxSize}`);
  }
  return bytes;
}

/** The fixed header and the magic cookie: everything before the first option (RFC 2131 §2). */
export const OPTIONS_START = FIXED_HEADER_SIZE + MAGIC_COOKIE.length;

/**
 * The header of `message` and then `options` exactly as given (code and value; option 53 is not added), END, and
 * zeros up to `minSize`. The buffer is sized once, from optionsWireSize: a reply is built once per request, and
 * this is what `encodeDhcpMessage` and reply.ts's `encodeReply` share. Both have run `checkHeader` first (its
 * faults come before the options'), so the header is written here without checking it again.
 */
export function encodeWithOptions(
  message: DhcpMessage,
  options: readonly RawOption[],
  minSize: number,
): Uint8Array {
  const hlen = message.clientHardwareAddress.length;
  const w = new ByteWriter(Math.max(minSize, OPTIONS_START + optionsWireSize(options) + 1));
  w.u8(message.op === 'request' ? OP_BOOTREQUEST : OP_BOOTREPLY)
    .u8(message.hardwareType)
    .u8(hlen)
    .u8(message.hops)
    .u32(message.transactionId)
    .u16(message.secondsElapsed)
    .u16(message.flags)
    .u32(ipv4ToInt(message.clientAddress))
    .u32(ipv4ToInt(message.yourAddress))
    .u32(ipv4ToInt(message.nextServerAddress))
    .u32(ipv4ToInt(message.relayAgentAddress))
    .field(message.clientHardwareAddress, CHADDR_SIZE, 'chaddr');
  textField(w, message.serverHostName, SNAME_SIZE);
  textField(w, message.bootFile, FILE_SIZE);
  w.bytes(MAGIC_COOKIE);
  for (const { code, data } of options) writeOption(w, code, data);
  w.u8(OPTION_END);
  if (w.length < minSize) w.zeros(minSize - w.length);
  return w.toBytes();
}

/**
 * The header's own faults, in the order writing it finds them: chaddr longer than its field, a number field out of
 * range, sname or file that is not text or does not fit (an address is a canonical Ipv4 by its type). Returns hlen. Callers that size or pick options first
 * (encodeReply) call it first, so that a message with several faults is refused for the same one as always.
 */
export function checkHeader(message: DhcpMessage): number {
  const hlen = message.clientHardwareAddress.length;
  if (hlen > CHADDR_SIZE) throw new EncodeError('range', `hardware address of ${hlen} bytes`);
  checkUint(message.hardwareType, 0xff, 'u8');
  checkUint(message.hops, 0xff, 'u8');
  checkUint(message.transactionId, 0xffffffff, 'u32');
  checkUint(message.secondsElapsed, 0xffff, 'u16');
  checkUint(message.flags, 0xffff, 'u16');
  checkTextField(message.serverHostName, SNAME_SIZE, 'sname');
  checkTextField(message.bootFile, FILE_SIZE, 'file');
  return hlen;
}

/** The octets `options` take on the wire, each as code, length, data, split every 255 octets (RFC 3396 §5). */
export function optionsWireSize(options: readonly RawOption[]): number {
  let size = 0;
  for (const { data } of options) size += optionWireSize(data.length);
  return size;
}

export function optionWireSize(length: number): number {
  return length <= 255 ? 2 + length : 2 * Math.ceil(length / 255) + length;
}

// sname and file (RFC 2131 §2): NUL-terminated text in a fixed field, the rest zero, written in place (checkHeader
// has checked it).
function textField(w: ByteWriter, text: string, width: number): void {
  for (let i = 0; i < text.length; i++) w.u8(text.charCodeAt(i));
  w.zeros(width - text.length);
}

// The checks and errors of textToBytes, then "contains NUL", then the field's size counting the NUL.
function checkTextField(text: string, width: number, what: string): void {
  let nul = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new EncodeError('text', `${what}: character U+${c.toString(16)} is not one octet`);
    if (c === 0) nul = true;
  }
  if (nul) throw new EncodeError('text', `${what} contains NUL`);
  if (text.length + 1 > width) {
    throw new EncodeError('field-too-long', `${what}: ${text.length + 1} bytes, the field holds ${width}`);
  }
}

/** Pad, end and overload (52) are the option area's structure (RFC 2131 §4.1, RFC 2132 §9.3), never a value. */
export function checkValueCode(code: number): void {
  if (!Number.isInteger(code) || code <= OPTION_PAD || code >= OPTION_END || code === OPTION_OVERLOAD) {
    throw new EncodeError('range', `option code ${code} is structure, not a value`);
  }
}

// RFC 3396 §5: a value longer than 255 octets is sent as several instances of the option, in order.
function writeOption(w: ByteWriter, code: number, data: Uint8Array): void {
  checkValueCode(code);
  if (data.length <= 255) {
    // The common case, one instance: no view of a part of the value.
    w.u8(code).u8(data.length).bytes(data);
    return;
  }
  for (let at = 0; at < data.length; at += 255) {
    const chunk = data.subarray(at, Math.min(at + 255, data.length));
    w.u8(code).u8(chunk.length).bytes(chunk);
  }
}

/** Every option of the message as code and bytes, in the order they go on the wire. */
export function orderedOptions(message: DhcpMessage): RawOption[] {
  const pending = new Map<number, Uint8Array[]>();
  const add = (code: number, data: Uint8Array) => {
    const list = pending.get(code);
    if (list === undefined) pending.set(code, [data]);
    else list.push(data);
  };
  add(OPTION_MESSAGE_TYPE, Uint8Array.of(messageTypeCode(message.messageType)));
  for (const name of Object.keys(message.options) as DhcpOptionName[]) {
    const value = message.options[name];
    if (value !== undefined) add(optionCodeOf(name), encodeOptionValue(name, value));
  }
  for (const { code, data } of message.otherOptions) add(code, data);

  const out: RawOption[] = [];
  const take = (code: number) => {
    for (const data of pending.get(code) ?? []) out.push({ code, data });
    pending.delete(code);
  };
  for (const code of message.optionOrder ?? []) take(code);
  const rest = [...pending.keys()].sort((a, b) => rank(a) - rank(b) || a - b);
  for (const code of rest) take(code);
  return out;
}

function rank(code: number): number {
  if (code === OPTION_MESSAGE_TYPE) return 0;
  return code === 82 ? 2 : 1;
}
