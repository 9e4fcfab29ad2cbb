import { IPV4_ANY } from '../../values/ipv4.js';
import { EncodeError } from '../errors.js';
import { BROADCAST_FLAG, IP_UDP_HEADERS, MIN_DATAGRAM_SIZE, MIN_MESSAGE_SIZE } from './layout.js';
import type { DhcpMessageType } from './message-type.js';
import {
  checkHeader,
  checkValueCode,
  encodeWithOptions,
  OPTIONS_START,
  optionsWireSize,
  optionWireSize,
} from './encode.js';
import type { DhcpMessage } from './message.js';
import { messageTypeCode } from './message-type.js';
import {
  type DhcpOptionName,
  type DhcpOptions,
  encodeOptionValue,
  optionCodeOf,
  OPTION_MESSAGE_TYPE,
} from './options.js';
import type { RawOption } from './raw-option.js';

/** The message types a server sends. */
export type ReplyType = Extract<DhcpMessageType, 'offer' | 'ack' | 'nak'>;

/** Whether an option goes into a reply: whenever the server has a value, never, or only if the client asked. */
export type ReplyOptionRule = 'always' | 'never' | 'if-requested';

// Ethernet MTU: never rely on IP fragmentation reaching a PXE ROM. Quirk: OVMF's PXE sends option 57 = 65280
// (test/golden/dhcp4/ovmf-x64-request-selecting); iPXE sends 1472, already net of IP and UDP headers, so it gets 28
// bytes less than it could take, which is harmless.
const LARGEST_DATAGRAM = 1500;

// RFC 2132 §9.10 (option 57 counts the whole IP datagram, minimum 576; D20 treats smaller values as 576);
// RFC 2131 §2 (without option 57, a client accepts a 576-octet datagram); protocol-digest §1.1.
export function replySizeLimit(maximumMessageSize: number | undefined): number {
  const datagram = Math.min(
    Math.max(maximumMessageSize ?? MIN_DATAGRAM_SIZE, MIN_DATAGRAM_SIZE),
    LARGEST_DATAGRAM,
  );
  return datagram - IP_UDP_HEADERS;
}

// RFC 2131 §4.3.1 Table 3, with RFC 6842 §3 (client identifier: MUST be echoed when the client sent one) and
// RFC 3046 §2.2 (relay agent information: SHALL be echoed). `request` is what the client sent: an ACK to INFORM
// MUST NOT carry a lease time (RFC 2131 §4.3.5).
export function replyOptionRule(code: number, reply: ReplyType, request: DhcpMessageType): ReplyOptionRule {
  switch (code) {
    case 50: // requested IP address
    case 55: // parameter request list
    case 57: // maximum message size
      return 'never';
    case 53: // message type
    case 54: // server identifier
    case 56: // message: SHOULD, in all three
    case 61: // client identifier (RFC 6842)
    case 82: // relay agent information (RFC 3046)
      return 'always';
    case 51: // lease time
    case 58: // T1 and T2 travel with the lease time (not in Table 3's MUST list; dnsmasq sends them unasked)
    case 59:
      if (reply === 'nak') return 'never';
      return reply === 'ack' && request === 'inform' ? 'never' : 'always';
    case 60: // vendor class identifier: MAY in all three
      return 'if-requested';
    default: // "All others": MAY in OFFER and ACK, MUST NOT in NAK
      return reply === 'nak' ? 'never' : 'if-requested';
  }
}

export interface ReplyOptionSelection {
  readonly reply: ReplyType;
  readonly request: DhcpMessageType;
  /** The client's option 55; undefined when it sent none (then every available option is "requested"). */
  readonly parameterRequestList: readonly number[] | undefined;
  /** Codes the server has values for, in its preferred order. */
  readonly available: readonly number[];
  /** Codes to send even if not requested (PXELINUX 208–211 are never requested: protocol-digest §1.5). */
  readonly forced?: readonly number[];
}

/**
 * The options of a reply, in wire order (RFC 2131 §4.3.1: requested parameters the server has values for, each
 * once; omit the rest): the 'always' ones except 82, then requested ones in the order of the client's option 55
 * (RFC 2132 §9.8: the client "MAY list the options in order of preference"), then forced ones, and option 82 last
 * (RFC 3046 §2.2: "SHOULD be the last DHCP option"). Option 53 is not in the list: it is always first.
 */
export function selectReplyOptions(selection: ReplyOptionSelection): number[] {
  const { reply, request, parameterRequestList, available, forced = [] } = selection;
  const rule = (code: number) => replyOptionRule(code, reply, request);
  // Arrays, not sets: a reply has a dozen options or so, and this runs for every reply.
  const out: number[] = [];
  const add = (code: number) => {
    if (!out.includes(code)) out.push(code);
  };
  for (const code of available)
    if (rule(code) === 'always' && code !== 82 && code !== OPTION_MESSAGE_TYPE) add(code);
  for (const code of parameterRequestList ?? available)
    if (available.includes(code) && rule(code) === 'if-requested') add(code);
  for (const code of forced) if (available.includes(code) && rule(code) !== 'never') add(code);
  if (available.includes(82)) add(82);
  return out;
}

export interface EncodedReply {
  readonly bytes: Uint8Array;
  /** Options the server had but left out: not requested, forbidden by Table 3, or no room. */
  readonly omitted: readonly number[];
  /** Of those, the ones left out for lack of room (a config with too many options for this client). */
  readonly noRoom: readonly number[];
}

/**
 * Encodes a reply to `request`: only the options `selectReplyOptions` picks, padded to 300 bytes, at most
 * `replySizeLimit(request's option 57)` bytes. If it does not fit, requested and forced options are dropped from
 * the end (least preferred first) until it does; if the 'always' options alone do not fit, `EncodeError('too-big')`.
 */
export function encodeReply(
  reply: DhcpMessage,
  request: DhcpMessage,
  { forced = [] }: { readonly forced?: readonly number[] } = {},
): EncodedReply {
  const type = reply.messageType;
  if (type !== 'offer' && type !== 'ack' && type !== 'nak') {
    throw new EncodeError('reply-type', `${type} is not a server reply`);
  }
  // RFC 2131 Table 3: a DHCPNAK MUST NOT use sname or file.
  if (type === 'nak' && (reply.serverHostName !== '' || reply.bootFile !== '')) {
    throw new EncodeError('nak-fields', 'a DHCPNAK carries no sname or file');
  }
  const available: number[] = [];
  for (const name of Object.keys(reply.options) as DhcpOptionName[]) {
    if (reply.options[name] !== undefined) available.push(optionCodeOf(name));
  }
  for (const o of reply.otherOptions) available.push(o.code);
  const selected = selectReplyOptions({
    reply: type,
    request: request.messageType,
    parameterRequestList: request.options.parameterRequestList,
    available,
    forced,
  });
  checkHeader(reply); // its faults first, as when the header was written before the options
  // Each selected option's instances on the wire, encoded once: its typed value, then any raw ones of its code.
  // The typed values first, in the message's order, then the codes in wire order: the order the encoder always
  // found faults in, so that a message with several is refused for the same one.
  const values = new Map<number, Uint8Array>();
  for (const name of Object.keys(reply.options) as DhcpOptionName[]) {
    const value = reply.options[name];
    const code = optionCodeOf(name);
    if (value !== undefined && selected.includes(code)) values.set(code, encodeOptionValue(name, value));
  }
  const parts = selected.map((code) => instancesOf(reply, code, values.get(code)));
  const maxSize = replySizeLimit(request.options.maximumMessageSize);
  const noRoom: number[] = [];
  let size = OPTIONS_START + optionWireSize(1) + parts.reduce((sum, p) => sum + p.size, 0) + 1;
  // Least preferred first: the droppable options from the end of the selection.
  for (let i = selected.length - 1; Math.max(size, MIN_MESSAGE_SIZE) > maxSize; i--) {
    while (i >= 0 && replyOptionRule(selected[i] ?? 0, type, request.messageType) === 'always') i--;
    const part = parts[i];
    if (part === undefined) {
      throw new EncodeError(
        'too-big',
        `${Math.max(size, MIN_MESSAGE_SIZE)} bytes, the client accepts ${maxSize}`,
      );
    }
    noRoom.push(part.code);
    size -= part.size;
  }
  const options: RawOption[] = [{ code: OPTION_MESSAGE_TYPE, data: Uint8Array.of(messageTypeCode(type)) }];
  // A raw option 53 (forced; never dropped, being 'always') follows the message type, as encodeDhcpMessage orders it.
  for (const part of parts) if (part.code === OPTION_MESSAGE_TYPE) options.push(...part.instances);
  for (const part of parts) {
    if (part.code !== OPTION_MESSAGE_TYPE && !noRoom.includes(part.code)) options.push(...part.instances);
  }
  const bytes = encodeWithOptions(reply, options, MIN_MESSAGE_SIZE);
  const omitted = available.filter(
    (code, i) => (!selected.includes(code) || noRoom.includes(code)) && available.indexOf(code) === i,
  );
  return { bytes, omitted, noRoom };
}

interface OptionPart {
  readonly code: number;
  readonly instances: readonly RawOption[];
  /** Octets on the wire, headers included. */
  readonly size: number;
}

// A code that cannot be a value fails the reply whether or not it would fit (as encoding it would).
function instancesOf(message: DhcpMessage, code: number, value: Uint8Array | undefined): OptionPart {
  checkValueCode(code);
  const instances: RawOption[] = value === undefined ? [] : [{ code, data: value }];
  for (const o of message.otherOptions) if (o.code === code) instances.push(o);
  return { code, instances, size: optionsWireSize(instances) };
}

/**
 * The header of a reply to `request` (RFC 2131 §4.3.1 Table 3): op BOOTREPLY; htype, hlen, chaddr, xid, flags and
 * giaddr copied; hops and secs 0; ciaddr 0 except in an ACK (the request's ciaddr); yiaddr, siaddr, sname and file
 * empty for the caller to fill. A NAK through a relay sets BROADCAST so the relay broadcasts it (RFC 2131 §4.3.2).
 * Options: the client identifier (RFC 6842 §3) and relay agent information (RFC 3046 §2.2) echoed unaltered.
 */
export function replyTo(request: DhcpMessage, type: ReplyType): DhcpMessage {
  const viaRelay = request.relayAgentAddress !== IPV4_ANY;
  const options: DhcpOptions = {
    ...(request.options.clientIdentifier === undefined
      ? {}
      : { clientIdentifier: request.options.clientIdentifier }),
    ...(request.options.relayAgentInformation === undefined
      ? {}
      : { relayAgentInformation: request.options.relayAgentInformation }),
  };
  return {
    op: 'reply',
    hardwareType: request.hardwareType,
    clientHardwareAddress: request.clientHardwareAddress.slice(),
    hops: 0,
    transactionId: request.transactionId,
    secondsElapsed: 0,
    flags: type === 'nak' && viaRelay ? request.flags | BROADCAST_FLAG : request.flags,
    clientAddress: type === 'ack' ? request.clientAddress : IPV4_ANY,
    yourAddress: IPV4_ANY,
    nextServerAddress: IPV4_ANY,
    relayAgentAddress: request.relayAgentAddress,
    serverHostName: '',
    bootFile: '',
    messageType: type,
    options,
    otherOptions: [],
    rejectedOptions: [],
  };
}
