import type { Mac } from '../values/mac.js';

/** A UDP address as a socket reports it. */
export interface TapAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * One datagram a transport received or sent, handed to the capture of the machine's boot signalling (issue 6
 * item 5). The transport calls a tap after the fact and never waits for it: a tap only queues (capture/), must
 * not throw, and must copy nothing it does not keep.
 */
export interface TappedDatagram {
  /** Wall-clock ms (Clock.now) when it was received or sent. */
  readonly at: number;
  /** As fleetboot saw it. */
  readonly direction: 'in' | 'out';
  readonly source: TapAddress;
  readonly destination: TapAddress;
  /** The UDP payload as kept: all of it, or its first octets (a summarised TFTP DATA). Not to be modified. */
  readonly payload: Uint8Array;
  /** The UDP payload's length on the wire. */
  readonly payloadLength: number;
}

/** DHCP datagrams carry their client's MAC (chaddr, or option 61), which says whose capture they join. */
export type DhcpTap = (datagram: TappedDatagram & { readonly mac: Mac }) => void;

/**
 * TFTP datagrams carry no identity: the client is the far end (the source of what came in, the destination of
 * what went out), placed by its address. The server's address is the one the socket is bound to, which is
 * 0.0.0.0 when it listens on all of them.
 */
export type TftpTap = (datagram: TappedDatagram) => void;

/** Calls a tap, shielding the transport from a tap that breaks its promise not to throw. */
export function tapSafely<D>(tap: ((datagram: D) => void) | undefined, datagram: D): void {
  if (tap === undefined) return;
  try {
    tap(datagram);
  } catch {
    // A capture is never worth a served packet; what the capture lost it counts itself (capture/recorder.ts).
  }
}
