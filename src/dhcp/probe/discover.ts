import { broadcastClientRequest, type DhcpMessage } from '../../protocol/dhcp4/index.js';
import { type Mac, macToBytes } from '../../values/mac.js';
import { PROBE_VENDOR_CLASS } from '../../net/dhcp-probe.js';

export interface ProbeIdentity {
  /** The probing interface's own MAC: honest in the other server's logs, and never a machine we would enroll. */
  readonly mac: Mac;
  readonly transactionId: number;
}

/**
 * The DISCOVER that asks "is there a DHCP server on this segment?" (issue 3 item 3; catalogue §5 rogue-server
 * row: "probe DISCOVER at startup and periodically"). It is an ordinary client's DISCOVER (RFC 2131 §4.4.1) with
 * the BROADCAST flag: our socket on port 68 cannot receive a reply unicast to an address the server offers us
 * (§4.1: without the flag, a server may unicast to yiaddr), so we ask for a broadcast (§4.1, "if the broadcast bit
 * is set … broadcast DHCPOFFER and DHCPACK messages to 0xffffffff").
 */
export function probeDiscover(probe: ProbeIdentity): DhcpMessage {
  return broadcastClientRequest('discover', macToBytes(probe.mac), probe.transactionId, {
    // Subnet mask, router, DNS, lease time, server identifier: what any client asks for (dhclient asks more).
    parameterRequestList: [1, 3, 6, 51, 54],
    vendorClassIdentifier: PROBE_VENDOR_CLASS,
  });
}
