import type { Ipv4 } from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';
import type { MachineId } from './machine.js';
import type { EpochMs } from './time.js';

/**
 * A machine's boot signalling kept as packets (issue 6 item 5): the DHCP and TFTP control datagrams it sent and
 * was sent, for a pcap download after the fact. DATA blocks are kept as their headers only, with their real length.
 */

/** The protocols captured. */
export const CAPTURE_PROTOCOLS = ['dhcp', 'tftp'] as const;
export type CaptureProtocol = (typeof CAPTURE_PROTOCOLS)[number];

/** As fleetboot saw the datagram: `in` received, `out` sent. */
export const CAPTURE_DIRECTIONS = ['in', 'out'] as const;
export type CaptureDirection = (typeof CAPTURE_DIRECTIONS)[number];

export interface UdpAddress {
  readonly address: Ipv4;
  readonly port: number;
}

/** A packet to keep. The capture it joins is that of the machine with the interface `mac`. */
export interface NewCapturedPacket {
  readonly at: EpochMs;
  /** The machine's interface the packet is to or from (DHCP: chaddr; TFTP: the MAC at the client's address). */
  readonly mac: Mac;
  readonly protocol: CaptureProtocol;
  readonly direction: CaptureDirection;
  readonly source: UdpAddress;
  readonly destination: UdpAddress;
  /** The UDP payload as kept: all of it, or its first octets (a summarised TFTP DATA keeps its 4-octet header). */
  readonly payload: Uint8Array;
  /** The UDP payload's length on the wire, at least `payload.length`. */
  readonly payloadLength: number;
}

export interface CapturedPacket extends NewCapturedPacket {
  /** Increases in append order. */
  readonly id: number;
  readonly machineId: MachineId;
}

/** How much of a machine's capture is kept: the newest packets within both limits; older ones are dropped. */
export interface CaptureBound {
  readonly packets: number;
  /** Octets of kept payload. */
  readonly bytes: number;
}

/**
 * A whole PXE boot (DORA twice, proxyDHCP, a dozen TFTP transfers summarised) is about 100 packets and 20 KiB;
 * the bound keeps several boots of history, and a machine stuck in a boot loop cannot fill the database.
 */
export const DEFAULT_CAPTURE_BOUND: CaptureBound = { packets: 1000, bytes: 512 * 1024 };

/** The largest UDP payload over IPv4 (65535 − 20 − 8). */
export const MAX_UDP_PAYLOAD_LENGTH = 65_507;
