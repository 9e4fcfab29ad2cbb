import type { Ipv4 } from '../../values/ipv4.js';
import { type Mac, macFromBytes } from '../../values/mac.js';
import { BROADCAST_FLAG } from './layout.js';
import type { DhcpMessageType } from './message-type.js';
import type { DhcpOptions } from './options.js';
import type { RawOption, RejectedOption } from './raw-option.js';

export type BootOp = 'request' | 'reply';

/** A whole BOOTP/DHCP message (RFC 2131 §2), with readable names; the RFC field name is in each comment. */
export interface DhcpMessage {
  readonly op: BootOp; // op: BOOTREQUEST (1) / BOOTREPLY (2)
  readonly hardwareType: number; // htype (1 = Ethernet)
  readonly clientHardwareAddress: Uint8Array; // chaddr, its first hlen bytes (hlen = this length, ≤ 16)
  readonly hops: number; // hops
  readonly transactionId: number; // xid
  readonly secondsElapsed: number; // secs
  readonly flags: number; // flags: BROADCAST (0x8000) and 15 MBZ bits, kept as sent (D31)
  readonly clientAddress: Ipv4; // ciaddr
  readonly yourAddress: Ipv4; // yiaddr
  readonly nextServerAddress: Ipv4; // siaddr
  readonly relayAgentAddress: Ipv4; // giaddr
  readonly serverHostName: string; // sname ('' when the field carries options, RFC 2132 §9.3)
  readonly bootFile: string; // file ('' when the field carries options)
  readonly messageType: DhcpMessageType; // option 53
  readonly options: DhcpOptions;
  /** Options without a registry entry, and registered options whose value was rejected: raw, re-encoded as is. */
  readonly otherOptions: readonly RawOption[];
  /** Registered options left out of `options` (their bytes are in `otherOptions`), and why. Not encoded. */
  readonly rejectedOptions: readonly RejectedOption[];
  /** Option codes in wire order of first appearance (filled by decode); encode writes options in this order. */
  readonly optionOrder?: readonly number[];
}

export function isBroadcast(message: DhcpMessage): boolean {
  return (message.flags & BROADCAST_FLAG) !== 0;
}

/** The client's MAC, when chaddr is one (htype 1, hlen 6). */
export function clientMac(message: DhcpMessage): Mac | undefined {
  return message.hardwareType === 1 && message.clientHardwareAddress.length === 6
    ? macFromBytes(message.clientHardwareAddress)
    : undefined;
}

/**
 * The MAC a client identifies itself by: chaddr when it is one (htype 1, hlen 6), else an option 61 of type 1 with
 * six octets (RFC 2132 §9.14: type 1 is an Ethernet hardware address), so a client that zeroes hlen but identifies
 * itself is still known. Undefined when neither says a MAC.
 */
export function identifiedMac(message: DhcpMessage): Mac | undefined {
  const option61 = message.options.clientIdentifier;
  return (
    clientMac(message) ??
    (option61?.length === 7 && option61[0] === 1 ? macFromBytes(option61.subarray(1)) : undefined)
  );
}
