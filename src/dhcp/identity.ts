import { type ClientId, clientIdFromMac } from '../inventory/lease.js';
import { type DhcpMessage, identifiedMac } from '../protocol/dhcp4/index.js';
import type { Mac } from '../values/mac.js';

/** Who a client is, for leases, reservations, the inventory and per-client serialisation. */
export interface ClientIdentity {
  readonly mac: Mac;
  /** The lease key: `01` + the MAC (see below). */
  readonly clientId: ClientId;
  /** Option 61 as sent, lower-case hex: echoed (RFC 6842) and recorded in events, never the key. */
  readonly clientIdentifier?: string;
}

export type IdentityProblem = 'no-identity' | 'bad-mac';

/**
 * The client's identity. Decision (protocol-digest §1.6): leases and reservations are keyed by the hardware
 * address, not by option 61. RFC 2131 §2 lets a server key on either; in provisioning the same box talks to us as
 * PXE ROM (no 61), iPXE (61 = 01+MAC), the installer and the installed OS (often 61 = ff+IAID+DUID, RFC 4361), and
 * keying on 61 would give it a new address, a new lease and a second pool slot at every stage. dnsmasq documents the
 * same trap (`dhcp-host=MAC,id:*`, `--dhcp-ignore-clid`), and Kea's `match-client-id: false` is this choice. Option
 * 61 is still echoed unaltered (replyTo, RFC 6842 §3) and kept in the event details.
 *
 * The MAC is chaddr when htype 1 / hlen 6; else an option 61 of type 1 with six bytes (RFC 2132 §9.14), so a client
 * that zeroes hlen but identifies itself still works. Anything else cannot be tied to a machine: `no-identity`
 * (catalogue D06: no lease without hwaddr or client id, CVE-2019-6474). A group or all-zero MAC is not a NIC:
 * `bad-mac`, never enrolled (D30).
 */
export function clientIdentity(request: DhcpMessage): ClientIdentity | IdentityProblem {
  const option61 = request.options.clientIdentifier;
  const mac = identifiedMac(request);
  if (mac === undefined) return 'no-identity';
  if (!isUnicastMac(mac)) return 'bad-mac';
  return {
    mac,
    clientId: clientIdFromMac(mac),
    ...(option61 === undefined ? {} : { clientIdentifier: Buffer.from(option61).toString('hex') }),
  };
}

// IEEE 802: the least significant bit of the first octet marks a group (multicast, and broadcast ff:…:ff) address.
function isUnicastMac(mac: Mac): boolean {
  const first = Number.parseInt(mac.slice(0, 2), 16);
  return (first & 0x01) === 0 && mac !== '00:00:00:00:00:00';
}
