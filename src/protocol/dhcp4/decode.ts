import { ipv4FromBytes } from '../../values/ipv4.js';
import { ByteReader } from '../bytes/reader.js';
import { DecodeError } from '../errors.js';
import {
  CHADDR_SIZE,
  FILE_SIZE,
  FIXED_HEADER_SIZE,
  MAGIC_COOKIE,
  OFFSET,
  OP_BOOTREPLY,
  OP_BOOTREQUEST,
  SNAME_SIZE,
} from './layout.js';
import type { DhcpMessage } from './message.js';
import { type DhcpMessageType, messageTypeFromCode } from './message-type.js';
import { type JoinedOption, readOptionArea } from './option-area.js';
import {
  type DhcpOptionName,
  type DhcpOptionValues,
  decodeOptionValue,
  OPTION_MESSAGE_TYPE,
  OPTION_REGISTRY,
  optionNameOf,
} from './options.js';
import type { RawOption, RejectedOption } from './raw-option.js';
import { dhcpDecodeError } from './reasons.js';
import { fieldText } from './text.js';

type MutableOptions = { -readonly [N in DhcpOptionName]?: DhcpOptionValues[N] };

/**
 * Decodes one UDP payload. Throws only `DecodeError` (reasons in reasons.ts); never reads outside `bytes`.
 * Checks, in this order: size (`short`), op, htype, hlen, cookie (`bootp`, `cookie`), options (`truncated-option`,
 * `overload`), option values (`opt-len`, `fqdn`, `relay-agent`, …), option 53 (`no-msgtype`, `msgtype`).
 */
export function decodeDhcpMessage(bytes: Uint8Array): DhcpMessage {
  if (bytes.length < FIXED_HEADER_SIZE) {
    throw dhcpDecodeError(
      bytes.length,
      'short',
      `${bytes.length} bytes, a BOOTP header has ${FIXED_HEADER_SIZE}`,
    );
  }
  const r = new ByteReader(bytes);
  const opCode = r.u8();
  if (opCode !== OP_BOOTREQUEST && opCode !== OP_BOOTREPLY)
    throw dhcpDecodeError(OFFSET.op, 'op', `op ${opCode}`);
  const hardwareType = r.u8();
  const hlen = r.u8();
  // dnsmasq: a hardware address without a hardware type (htype 0, hlen ≠ 0) identifies nothing (D08).
  if (hardwareType === 0 && hlen !== 0)
    throw dhcpDecodeError(OFFSET.htype, 'htype', `htype 0 with hlen ${hlen}`);
  // RFC 2131 §2: chaddr is 16 octets, so hlen > 16 cannot be true (D07; dnsmasq and Kea refuse it too).
  if (hlen > CHADDR_SIZE) throw dhcpDecodeError(OFFSET.hlen, 'hlen', `hlen ${hlen}`);
  const hops = r.u8();
  const transactionId = r.u32();
  const secondsElapsed = r.u16();
  const flags = r.u16();
  const clientAddress = ipv4FromBytes(r.take(4));
  const yourAddress = ipv4FromBytes(r.take(4));
  const nextServerAddress = ipv4FromBytes(r.take(4));
  const relayAgentAddress = ipv4FromBytes(r.take(4));
  const clientHardwareAddress = bytes.slice(OFFSET.chaddr, OFFSET.chaddr + hlen);
  checkCookie(bytes);

  const area = readOptionArea(bytes);
  const options: MutableOptions = {};
  const otherOptions: RawOption[] = [];
  const rejectedOptions: RejectedOption[] = [...area.ignored];
  let messageType: DhcpMessageType | undefined;
  for (const option of area.options) {
    if (option.code === OPTION_MESSAGE_TYPE) messageType = decodeMessageType(option);
    else decodeOption(option, options, otherOptions, rejectedOptions);
  }
  // RFC 2131 §3: every DHCP message carries option 53; without it this is BOOTP with vendor extensions (D09).
  if (messageType === undefined) throw dhcpDecodeError(OFFSET.options, 'no-msgtype', 'no option 53');

  const fileHoldsOptions = area.overload === 'file' || area.overload === 'both';
  const snameHoldsOptions = area.overload === 'sname' || area.overload === 'both';
  return {
    op: opCode === OP_BOOTREQUEST ? 'request' : 'reply',
    hardwareType,
    clientHardwareAddress,
    hops,
    transactionId,
    secondsElapsed,
    flags,
    clientAddress,
    yourAddress,
    nextServerAddress,
    relayAgentAddress,
    serverHostName: snameHoldsOptions
      ? ''
      : fieldText(bytes.subarray(OFFSET.sname, OFFSET.sname + SNAME_SIZE)),
    bootFile: fileHoldsOptions ? '' : fieldText(bytes.subarray(OFFSET.file, OFFSET.file + FILE_SIZE)),
    messageType,
    options,
    otherOptions,
    rejectedOptions,
    optionOrder: area.options.map((o) => o.code),
  };
}

function checkCookie(bytes: Uint8Array): void {
  // Plain BOOTP (RFC 951): no room for a cookie, or a vendor area left zero. We do not serve BOOTP (D03).
  const cookie = bytes.subarray(OFFSET.cookie, OFFSET.options);
  if (cookie.length < 4 || cookie.every((b) => b === 0)) {
    throw dhcpDecodeError(OFFSET.cookie, 'bootp', 'no DHCP magic cookie');
  }
  if (!cookie.every((b, i) => b === MAGIC_COOKIE[i])) {
    throw dhcpDecodeError(OFFSET.cookie, 'cookie', `cookie ${Array.from(cookie).join('.')}`);
  }
}

function decodeMessageType(option: JoinedOption): DhcpMessageType {
  // RFC 2132 §9.6: length 1 (D11).
  if (option.data.length !== 1)
    throw dhcpDecodeError(option.offset, 'opt-len', `option 53 of ${option.data.length} bytes`);
  const code = option.data[0] ?? 0;
  const type = messageTypeFromCode(code);
  if (type === undefined) throw dhcpDecodeError(option.offset, 'msgtype', `message type ${code}`);
  return type;
}

function decodeOption(
  option: JoinedOption,
  into: MutableOptions,
  otherOptions: RawOption[],
  rejected: RejectedOption[],
): void {
  const name = optionNameOf(option.code);
  if (name === undefined) {
    otherOptions.push({ code: option.code, data: option.data });
    return;
  }
  try {
    // decodeOptionValue ties the value's type to `name`, which the index signature cannot say; a plain
    // assignment, not Object.assign with an object made for each option (this runs for every option received).
    (into as Record<DhcpOptionName, unknown>)[name] = decodeOptionValue(name, option.data, option.offset);
  } catch (error) {
    if (!(error instanceof DecodeError) || OPTION_REGISTRY[name].onInvalid === 'drop-packet') throw error;
    otherOptions.push({ code: option.code, data: option.data });
    rejected.push({ code: option.code, offset: error.offset, reason: error.reason });
  }
}
