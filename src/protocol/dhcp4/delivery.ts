import { type Ipv4, IPV4_ANY, IPV4_BROADCAST } from '../../values/ipv4.js';
import { BROADCAST_FLAG } from './layout.js';
import type { DhcpMessageType } from './message-type.js';
import type { ReplyType } from './reply.js';

/** UDP ports of RFC 2131 §4.1: the server (and a relay's server side) listens on 67, clients on 68. */
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

/** The fields of a request that decide where its reply goes. */
export interface DeliveryRequest {
  readonly messageType: DhcpMessageType;
  readonly relayAgentAddress: Ipv4; // giaddr
  readonly clientAddress: Ipv4; // ciaddr
  readonly flags: number; // flags: BROADCAST bit
}

/** Which branch of RFC 2131 §4.1 chose the destination: for logs and the table test. */
export type DeliveryRule =
  | 'relay' // giaddr ≠ 0: to the relay's server port
  | 'client-address' // ciaddr ≠ 0: unicast to the client's own address
  | 'inform-source' // DHCPINFORM without ciaddr: back to the IP source it came from
  | 'broadcast-flag' // the client asked for a broadcast
  | 'broadcast-no-arp' // unicast to yiaddr would need ARP injection: broadcast instead (the §4.1 MAY)
  | 'nak-broadcast'; // a DHCPNAK without a relay is always broadcast

export interface ReplyDelivery {
  readonly address: Ipv4;
  readonly port: number;
  readonly rule: DeliveryRule;
}

// RFC 2131 §4.1 ("If the 'giaddr' field … is non-zero …", then ciaddr, then the BROADCAST bit, then yiaddr), §4.3.2
// (a DHCPNAK with giaddr 0 is broadcast; through a relay it goes to the relay with BROADCAST set, which replyTo
// does) and §4.3.5 (the ACK to a DHCPINFORM goes "directly to the address given in the 'ciaddr' field"), in the
// order of protocol-digest §1.3.
// - A DHCPINFORM with ciaddr is answered at ciaddr even when relayed: the client has a routable address and §4.3.5
//   says "directly" (Kea does the same). One without ciaddr (RFC 2131 Table 5 forbids it, some clients do it) goes
//   to the relay if there is one, else to the datagram's IP source, else is broadcast.
// - Step 4, "unicast to yiaddr and chaddr", needs an ARP entry the client cannot answer for yet; dgram cannot add
//   one (dnsmasq uses SIOCSARP), so the reply is broadcast, which §4.1 permits ("If unicasting is not possible,
//   the message MAY be sent as an IP broadcast"). iPXE needs exactly this: it does not set the BROADCAST flag and
//   cannot receive a unicast before it has an address (protocol-digest §10.3).
export function replyDestination(
  request: DeliveryRequest,
  reply: ReplyType,
  sourceAddress: Ipv4 = IPV4_ANY,
): ReplyDelivery {
  const relayed = request.relayAgentAddress !== IPV4_ANY;
  const hasClientAddress = request.clientAddress !== IPV4_ANY;
  if (request.messageType === 'inform' && reply === 'ack') {
    if (hasClientAddress) return to(request.clientAddress, DHCP_CLIENT_PORT, 'client-address');
    if (relayed) return to(request.relayAgentAddress, DHCP_SERVER_PORT, 'relay');
    if (sourceAddress !== IPV4_ANY) return to(sourceAddress, DHCP_CLIENT_PORT, 'inform-source');
    return to(IPV4_BROADCAST, DHCP_CLIENT_PORT, 'broadcast-no-arp');
  }
  if (relayed) return to(request.relayAgentAddress, DHCP_SERVER_PORT, 'relay');
  if (reply === 'nak') return to(IPV4_BROADCAST, DHCP_CLIENT_PORT, 'nak-broadcast');
  if (hasClientAddress) return to(request.clientAddress, DHCP_CLIENT_PORT, 'client-address');
  if ((request.flags & BROADCAST_FLAG) !== 0) return to(IPV4_BROADCAST, DHCP_CLIENT_PORT, 'broadcast-flag');
  return to(IPV4_BROADCAST, DHCP_CLIENT_PORT, 'broadcast-no-arp');
}

function to(address: Ipv4, port: number, rule: DeliveryRule): ReplyDelivery {
  return { address, port, rule };
}
