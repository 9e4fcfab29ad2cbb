import { type Ipv4Subnet, parseIpv4, parseIpv4Subnet, subnetContains } from '../values/ipv4.js';

export const LOOPBACK: Ipv4Subnet = parseIpv4Subnet('127.0.0.0/8');

/**
 * Whether a client may use the cache (issue 7 item 4: access restricted to configured networks). `remote` is
 * the socket's address as Node reports it, never a header (catalogue H05): IPv4, IPv4-mapped IPv6
 * (`::ffff:192.0.2.7`, on a dual-stack listener) or IPv6. IPv6 clients other than `::1` are refused, since the
 * networks are IPv4 subnets. Pure.
 */
export function clientAllowed(remote: string | undefined, networks: readonly Ipv4Subnet[]): boolean {
  if (remote === undefined) return false;
  const text = remote.startsWith('::ffff:') ? remote.slice('::ffff:'.length) : remote;
  if (text === '::1')
    return networks.some((n) => n === LOOPBACK || subnetContains(n, parseIpv4('127.0.0.1')));
  let ip;
  try {
    ip = parseIpv4(text);
  } catch {
    return false;
  }
  return networks.some((n) => subnetContains(n, ip));
}

/**
 * The networks allowed when the operator names none: loopback, the subnets fleetboot leases from, and the
 * subnets of the interfaces it answers DHCP on (proxy mode has no subnets of its own). The machines fleetboot
 * installs are on those; nobody else is.
 */
export function defaultClientNetworks(
  dhcpSubnets: readonly Ipv4Subnet[],
  interfaceSubnets: readonly Ipv4Subnet[],
): Ipv4Subnet[] {
  const all = [LOOPBACK, ...dhcpSubnets, ...interfaceSubnets];
  return all.filter(
    (n, i) => all.findIndex((m) => m.network === n.network && m.prefixLength === n.prefixLength) === i,
  );
}
