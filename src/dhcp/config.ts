// The engine's view of the DHCP configuration. The dhcp layer may not import config/ (eslint/layers.js), so these
// are structural: config's DhcpConfig and DhcpSubnet are assignable to them (test/dhcp/config.test.ts checks).
import {
  formatSubnet,
  type Ipv4,
  IPV4_ANY,
  type Ipv4Subnet,
  ipv4FromInt,
  ipv4ToInt,
  prefixToMask,
  subnetContains,
} from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';
import { type DhcpMessage, linkSelection } from '../protocol/dhcp4/index.js';

export interface EngineReservation {
  readonly mac: Mac;
  readonly ip: Ipv4;
  readonly hostname?: string;
}

export interface EnginePool {
  readonly start: Ipv4;
  readonly end: Ipv4;
}

export interface EngineSubnet {
  readonly subnet: Ipv4Subnet;
  readonly pools: readonly EnginePool[];
  readonly router?: Ipv4;
  readonly dns: readonly Ipv4[];
  readonly domain?: string;
  /** Seconds (option 51); renewalTime (T1, 58) < rebindingTime (T2, 59) < leaseTime. */
  readonly leaseTime: number;
  readonly renewalTime: number;
  readonly rebindingTime: number;
  readonly reservations: readonly EngineReservation[];
}

export interface EngineConfig {
  readonly mode: string;
  readonly subnets: readonly EngineSubnet[];
}

/** A subnet ready for the hot path: addresses as integers, reservations indexed both ways. */
export interface CompiledSubnet {
  /** `192.0.2.0/24`: the subnet's name in logs, events and maps. */
  readonly key: string;
  readonly config: EngineSubnet;
  readonly subnet: Ipv4Subnet;
  readonly mask: Ipv4;
  readonly broadcast: Ipv4;
  /** Inclusive integer ranges, in config order. */
  readonly pools: readonly (readonly [number, number])[];
  readonly poolSize: number;
  readonly reservationByMac: ReadonlyMap<Mac, EngineReservation>;
  /** Reserved address → the MAC it belongs to. */
  readonly reservedFor: ReadonlyMap<number, Mac>;
}

export function compileSubnet(config: EngineSubnet): CompiledSubnet {
  const network = ipv4ToInt(config.subnet.network);
  const maskInt = ipv4ToInt(prefixToMask(config.subnet.prefixLength));
  const pools = config.pools.map((p) => [ipv4ToInt(p.start), ipv4ToInt(p.end)] as const);
  return {
    key: formatSubnet(config.subnet),
    config,
    subnet: config.subnet,
    mask: prefixToMask(config.subnet.prefixLength),
    broadcast: ipv4FromInt((network | (~maskInt >>> 0)) >>> 0),
    pools,
    poolSize: pools.reduce((n, [start, end]) => n + (end - start + 1), 0),
    reservationByMac: new Map(config.reservations.map((r) => [r.mac, r])),
    reservedFor: new Map(config.reservations.map((r) => [ipv4ToInt(r.ip), r.mac])),
  };
}

export function inPools(subnet: CompiledSubnet, address: number): boolean {
  return subnet.pools.some(([start, end]) => address >= start && address <= end);
}

// RFC 2131 §4.3.1: the subnet is that of giaddr when a relay forwarded the message, else that of the interface the
// message arrived on (protocol-digest §1.2, §1.7). RFC 3527: a relay whose giaddr is not on the client's link (an
// address on a loopback or on the side facing us) names the client's subnet in option 82 sub-option 5, link
// selection; it wins over giaddr, as in Kea, ISC dhcpd and dnsmasq, and the reply still goes to giaddr (RFC 3527
// §3). Only in relayed traffic: with giaddr 0 no relay stands behind the option, and a client that wrote it itself
// must not choose its subnet (RFC 3046 §2.1 has relays drop such packets from untrusted ports).
export function selectSubnet(
  subnets: readonly CompiledSubnet[],
  request: Pick<DhcpMessage, 'relayAgentAddress' | 'options'>,
  interfaceAddress: Ipv4,
): CompiledSubnet | undefined {
  const anchor = subnetAnchor(request, interfaceAddress);
  return subnets.find((s) => subnetContains(s.subnet, anchor));
}

/** The address whose subnet serves the request (selectSubnet): link selection, giaddr, or our interface. */
export function subnetAnchor(
  request: Pick<DhcpMessage, 'relayAgentAddress' | 'options'>,
  interfaceAddress: Ipv4,
): Ipv4 {
  const relay = request.relayAgentAddress;
  if (relay === IPV4_ANY) return interfaceAddress;
  const info = request.options.relayAgentInformation;
  return (info === undefined ? undefined : linkSelection(info)) ?? relay;
}
