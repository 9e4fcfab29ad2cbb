import { ipv4ToBytes } from '../../values/ipv4.js';
import { ByteWriter } from '../bytes/writer.js';
import { EncodeError } from '../errors.js';
import {
  CHADDR_SIZE,
  FILE_SIZE,
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
import { textToBytes } from './text.js';

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
  const hlen = message.clientHardwareAddress.length;
  if (hlen > CHADDR_SIZE) throw new EncodeError('range', `hardware address of ${hlen} bytes`);
  const w = new ByteWriter(Math.max(minSize, 576));
  w.u8(message.op === 'request' ? OP_BOOTREQUEST : OP_BOOTREPLY)
    .u8(message.hardwareType)
    .u8(hlen)
    .u8(message.hops)
    .u32(message.transactionId)
    .u16(message.secondsElapsed)
    .u16(message.flags)
    .bytes(ipv4ToBytes(message.clientAddress))
    .bytes(ipv4ToBytes(message.yourAddress))
    .bytes(ipv4ToBytes(message.nextServerAddress))
    .bytes(ipv4ToBytes(message.relayAgentAddress))
    .field(message.clientHardwareAddress, CHADDR_SIZE, 'chaddr')
    .field(nulTerminated(message.serverHostName, 'sname'), SNAME_SIZE, 'sname')
    .field(nulTerminated(message.bootFile, 'file'), FILE_SIZE, 'file')
    .bytes(MAGIC_COOKIE);
  for (const { code, data } of orderedOptions(message)) writeOption(w, code, data);
  w.u8(OPTION_END);
  if (w.length < minSize) w.zeros(minSize - w.length);
  if (maxSize !== undefined && w.length > maxSize) {
    throw new EncodeError('too-big', `${w.length} bytes, the limit is ${maxSize}`);
  }
  return w.toBytes();
}

function nulTerminated(text: string, what: string): Uint8Array {
  const bytes = textToBytes(text, what);
  if (bytes.includes(0)) throw new EncodeError('text', `${what} contains NUL`);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

// RFC 3396 §5: a value longer than 255 octets is sent as several instances of the option, in order.
function writeOption(w: ByteWriter, code: number, data: Uint8Array): void {
  if (!Number.isInteger(code) || code <= OPTION_PAD || code >= OPTION_END || code === OPTION_OVERLOAD) {
    throw new EncodeError('range', `option code ${code} is structure, not a value`);
  }
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
