import { IPV4_ANY } from '../../values/ipv4.js';
import { BROADCAST_FLAG } from './layout.js';
import type { DhcpMessage } from './message.js';
import type { DhcpMessageType } from './message-type.js';
import type { DhcpOptions } from './options.js';

/**
 * A BOOTREQUEST from a client that has no address yet (RFC 2131 §4.4.1: ciaddr 0, no relay), Ethernet, with the
 * BROADCAST flag: such a client cannot receive a reply unicast to an address it does not have yet (§4.1), so it
 * asks for DHCPOFFER and DHCPACK to come to 0xffffffff. What fleetboot itself sends as a client (the segment
 * probe) or makes up (the DHCP warm-up).
 */
export function broadcastClientRequest(
  type: Extract<DhcpMessageType, 'discover' | 'request'>,
  clientHardwareAddress: Uint8Array,
  transactionId: number,
  options: DhcpOptions,
): DhcpMessage {
  return {
    op: 'request',
    hardwareType: 1,
    clientHardwareAddress,
    hops: 0,
    transactionId,
    secondsElapsed: 0,
    flags: BROADCAST_FLAG,
    clientAddress: IPV4_ANY,
    yourAddress: IPV4_ANY,
    nextServerAddress: IPV4_ANY,
    relayAgentAddress: IPV4_ANY,
    serverHostName: '',
    bootFile: '',
    messageType: type,
    options,
    otherOptions: [],
    rejectedOptions: [],
  };
}
