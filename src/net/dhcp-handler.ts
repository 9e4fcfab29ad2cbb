import type { DhcpMessage } from '../protocol/dhcp4/index.js';
import type { Ipv4 } from '../values/ipv4.js';

/**
 * The contract between the DHCP transport (src/net: sockets, one per interface and port) and the DHCP engine
 * (src/dhcp: leases, RFC 2131 state machine, boot policy). The transport decodes, hands over one exchange, and
 * sends what comes back; it never decides anything about addresses or boot files.
 */
export interface DhcpExchange {
  /** The decoded request; the transport has already dropped what does not decode (counted by DecodeError reason). */
  readonly request: DhcpMessage;
  /** The datagram as received, for events and captures. */
  readonly raw: Uint8Array;
  /** The interface the datagram arrived on (the socket is bound to it with SO_BINDTODEVICE). */
  readonly interfaceName: string;
  /** Our IPv4 address on that interface: the server identifier (option 54) a directly attached client must see. */
  readonly interfaceAddress: Ipv4;
  /** The UDP port it arrived on: 67 (DHCP/proxyDHCP) or 4011 (PXE boot server, proxyDHCP step 2). */
  readonly localPort: 67 | 4011;
  /** IP source of the datagram (0.0.0.0 for a client without an address, the relay for relayed traffic). */
  readonly source: { readonly address: string; readonly port: number };
  /** Wall-clock ms at receipt. */
  readonly receivedAt: number;
}

/** Where a reply goes; decided by the engine with RFC 2131 §4.1 (replyDestination), sent as is by the transport. */
export interface DhcpDestination {
  readonly address: Ipv4;
  readonly port: number;
}

export type DhcpOutcome =
  | {
      readonly kind: 'reply';
      /** The encoded reply, ready for the wire. */
      readonly bytes: Uint8Array;
      readonly destination: DhcpDestination;
      /** For logs and metrics: `DHCPOFFER`, `DHCPACK`, `DHCPNAK`. */
      readonly label: string;
    }
  /** Nothing is sent. `reason` is a short stable label (`not-for-us`, `no-free-address`, …) used as a metric label. */
  | { readonly kind: 'drop'; readonly reason: string };

/** The engine as the transport sees it. It must not throw: a failure is a `drop` with a reason. */
export type DhcpHandler = (exchange: DhcpExchange) => Promise<DhcpOutcome>;
