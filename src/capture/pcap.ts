import type { CapturedPacket } from '../inventory/capture.js';
import { encodePcap, type UdpEndpoint, type UdpFrame } from '../protocol/pcap/index.js';
import { IPV4_BROADCAST } from '../values/ipv4.js';
import { type Mac, parseMac } from '../values/mac.js';

/**
 * The Ethernet address of fleetboot's side of every frame: locally administered (02:…, IEEE 802 "not the
 * factory default"), spelling "fboot". fleetboot does not know which NIC a datagram left by (the TFTP server
 * listens on any address), and a made-up address that says so beats a real one that might be another NIC's.
 */
export const CAPTURE_SERVER_MAC: Mac = parseMac('02:66:62:6f:6f:74');
/** The Ethernet address shown for a DHCP relay agent ("fbrly"): its own address is not known. */
export const CAPTURE_RELAY_MAC: Mac = parseMac('02:66:62:72:6c:79');
const BROADCAST_MAC: Mac = parseMac('ff:ff:ff:ff:ff:ff');
/** RFC 1122 §3.2.1.7's recommended default; fleetboot does not see the real one of what it received. */
const TTL = 64;
/** The relay agent talks to the server from port 67 (RFC 1542 §4.1), and a client never does. */
const RELAY_PORT = 67;

/**
 * A machine's capture as a pcap file (classic libpcap, Ethernet, µs timestamps) that Wireshark and tshark decode:
 * each packet a UDP datagram over synthesised IPv4 and Ethernet headers (protocol/pcap), in the order given. The
 * machine's side carries the MAC the packet was attributed by (a DHCP client's chaddr, the MAC at a TFTP client's
 * address), or CAPTURE_RELAY_MAC when a relay agent was the far end; fleetboot's side carries CAPTURE_SERVER_MAC;
 * a datagram to 255.255.255.255 goes to the Ethernet broadcast address.
 */
export function capturePcap(packets: readonly CapturedPacket[]): Uint8Array {
  return encodePcap(packets.map(frameOf));
}

function frameOf(packet: CapturedPacket, index: number): UdpFrame {
  const far = packet.direction === 'in' ? packet.source : packet.destination;
  const farMac = packet.protocol === 'dhcp' && far.port === RELAY_PORT ? CAPTURE_RELAY_MAC : packet.mac;
  const end = (address: CapturedPacket['source'], mac: Mac): UdpEndpoint => ({
    mac: address.address === IPV4_BROADCAST ? BROADCAST_MAC : mac,
    address: address.address,
    port: address.port,
  });
  const [sourceMac, destinationMac] =
    packet.direction === 'in' ? [farMac, CAPTURE_SERVER_MAC] : [CAPTURE_SERVER_MAC, farMac];
  return {
    timestampMicros: packet.at * 1000,
    source: end(packet.source, sourceMac),
    destination: end(packet.destination, destinationMac),
    payload: packet.payload,
    payloadLength: packet.payloadLength,
    // RFC 791 §3.1: unique per datagram within its lifetime; the position in the file serves.
    ipId: (index + 1) % 0x10000,
    ttl: TTL,
  };
}
